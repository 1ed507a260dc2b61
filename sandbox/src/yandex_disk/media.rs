//! `mime_type` and `media_type` from a file name's extension. The service sniffs content too;
//! the sandbox only looks at the name. Observed pairs: `.txt` is `text/plain` + `document`, an
//! unknown name is `application/octet-stream` + `data` (YD-REC). The rest of the table follows
//! the media types listed in docs/protocols.md §2.3, which are [unverified].

/// (extensions, MIME type, media type)
const TYPES: &[(&[&str], &str, &str)] = &[
    (&["txt", "log"], "text/plain", "document"),
    (&["md"], "text/markdown", "document"),
    (&["pdf"], "application/pdf", "document"),
    (&["doc"], "application/msword", "document"),
    (
        &["docx"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "document",
    ),
    (&["odt"], "application/vnd.oasis.opendocument.text", "document"),
    (&["rtf"], "application/rtf", "document"),
    (&["ppt"], "application/vnd.ms-powerpoint", "document"),
    (
        &["pptx"],
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "document",
    ),
    (&["xls"], "application/vnd.ms-excel", "spreadsheet"),
    (
        &["xlsx"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "spreadsheet",
    ),
    (
        &["ods"],
        "application/vnd.oasis.opendocument.spreadsheet",
        "spreadsheet",
    ),
    (&["csv"], "text/csv", "spreadsheet"),
    (&["jpg", "jpeg"], "image/jpeg", "image"),
    (&["png"], "image/png", "image"),
    (&["gif"], "image/gif", "image"),
    (&["bmp"], "image/bmp", "image"),
    (&["webp"], "image/webp", "image"),
    (&["tif", "tiff"], "image/tiff", "image"),
    (&["heic"], "image/heic", "image"),
    (&["svg"], "image/svg+xml", "image"),
    (&["mp4", "m4v"], "video/mp4", "video"),
    (&["mov"], "video/quicktime", "video"),
    (&["avi"], "video/x-msvideo", "video"),
    (&["mkv"], "video/x-matroska", "video"),
    (&["webm"], "video/webm", "video"),
    (&["mp3"], "audio/mpeg", "audio"),
    (&["wav"], "audio/wav", "audio"),
    (&["flac"], "audio/flac", "audio"),
    (&["ogg", "oga", "opus"], "audio/ogg", "audio"),
    (&["m4a"], "audio/mp4", "audio"),
    (&["zip"], "application/zip", "compressed"),
    (&["rar"], "application/x-rar-compressed", "compressed"),
    (&["7z"], "application/x-7z-compressed", "compressed"),
    (&["gz", "tgz"], "application/gzip", "compressed"),
    (&["bz2"], "application/x-bzip2", "compressed"),
    (&["xz"], "application/x-xz", "compressed"),
    (&["tar"], "application/x-tar", "compressed"),
    (&["iso"], "application/x-iso9660-image", "diskimage"),
    (&["dmg"], "application/x-apple-diskimage", "diskimage"),
    (&["exe", "msi"], "application/x-msdownload", "executable"),
    (&["apk"], "application/vnd.android.package-archive", "executable"),
    (&["epub"], "application/epub+zip", "book"),
    (&["fb2"], "application/x-fictionbook+xml", "book"),
    (&["djvu"], "image/vnd.djvu", "book"),
    (&["ttf"], "font/ttf", "font"),
    (&["otf"], "font/otf", "font"),
    (&["woff"], "font/woff", "font"),
    (&["woff2"], "font/woff2", "font"),
    (&["html", "htm"], "text/html", "web"),
    (&["css"], "text/css", "web"),
    (&["js"], "text/javascript", "development"),
    (&["json"], "application/json", "development"),
    (&["xml"], "application/xml", "development"),
    (
        &["py", "rs", "c", "h", "cpp", "java", "go", "sh", "bsl", "os"],
        "text/plain",
        "development",
    ),
    (&["ini", "cfg", "conf"], "text/plain", "settings"),
    (&["bak"], "application/octet-stream", "backup"),
    (&["swf"], "application/x-shockwave-flash", "flash"),
    (&["gpg", "pgp"], "application/pgp-encrypted", "encoded"),
];

/// (mime_type, media_type) for a file name.
pub fn guess(name: &str) -> (&'static str, &'static str) {
    let extension = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    extension
        .and_then(|ext| TYPES.iter().find(|(exts, _, _)| exts.contains(&ext.as_str())))
        .map_or(("application/octet-stream", "data"), |(_, mime, media)| (mime, media))
}

#[cfg(test)]
mod tests {
    #[test]
    fn observed_pairs() {
        assert_eq!(super::guess("zeroes.txt"), ("text/plain", "document"));
        assert_eq!(super::guess("CsVGRa8itZ"), ("application/octet-stream", "data"));
        assert_eq!(super::guess("Фото.JPG"), ("image/jpeg", "image"));
    }
}
