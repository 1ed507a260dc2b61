//! Synthetic messages for benchmarks: a message is kept as a recipe (series, number, exact size,
//! date, recipient) and written out again, byte for byte the same, whenever a client reads it.
//! Seeding ten thousand of them takes no time and no memory; serving them costs one pass of a
//! fast generator per message.

use serde::{Deserialize, Serialize};

use super::dates::rfc5322;

/// The smallest synthetic message: its headers and a little text.
pub const MIN_SIZE: u32 = 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synthetic {
    /// The series (one call of the seeding endpoint).
    pub series: u64,
    /// The message's number within its series, from 1.
    pub number: u32,
    /// Exact size in bytes, at least [`MIN_SIZE`].
    pub size: u32,
    /// The `Date:` header, Unix seconds.
    pub date: i64,
    pub to: String,
}

const WORDS: &[&[u8]] = &[
    b"mailbox", b"backup", b"sandbox", b"message", b"folder", b"yandex", b"letter", b"report", b"meeting", b"invoice",
    b"quarter", b"project", b"status", b"update", b"review", b"budget",
];

/// Lines of body text are at most this long, CRLF included (RFC 5322 recommends 78).
const LINE: usize = 78;

impl Synthetic {
    fn headers(&self) -> String {
        format!(
            "From: \"Benchmark Sender\" <bench@example.com>\r\n\
             To: <{}>\r\n\
             Subject: Benchmark message {} of series {}\r\n\
             Date: {}\r\n\
             Message-ID: <bench.{}.{}@sandbox.mail.yandex.net>\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=us-ascii\r\n\
             Content-Transfer-Encoding: 7bit\r\n\r\n",
            self.to,
            self.number,
            self.series,
            rfc5322(self.date),
            self.series,
            self.number
        )
    }

    /// Writes the message into `out` (cleared first): headers, then lines of words up to the
    /// exact size, every line ending in CRLF.
    pub fn render(&self, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(self.size as usize);
        out.extend_from_slice(self.headers().as_bytes());
        let target = (self.size as usize).max(out.len() + 2);
        let mut random = self.series ^ (u64::from(self.number) << 32) ^ 0x9E37_79B9_7F4A_7C15;
        while out.len() < target {
            let left = target - out.len();
            // A last piece of one byte cannot hold a CRLF: make this line one byte shorter.
            let length = match left {
                n if n <= LINE => n,
                n if n == LINE + 1 => LINE - 1,
                _ => LINE,
            };
            text_line(out, length - 2, &mut random);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// `length` bytes of words and spaces.
fn text_line(out: &mut Vec<u8>, length: usize, random: &mut u64) {
    let end = out.len() + length;
    while out.len() < end {
        *random ^= *random << 13;
        *random ^= *random >> 7;
        *random ^= *random << 17;
        let word = WORDS[(*random % WORDS.len() as u64) as usize];
        let room = end - out.len();
        out.extend_from_slice(&word[..word.len().min(room)]);
        if out.len() < end {
            out.push(b' ');
        }
    }
}

/// A repeatable sequence of sizes between `min` and `max` for a series.
pub fn sizes(series: u64, count: u32, min: u32, max: u32) -> impl Iterator<Item = u32> {
    let mut state = series.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let span = u64::from(max - min) + 1;
    (0..count).map(move |_| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        min + ((state >> 33) % span) as u32
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(size: u32) -> Synthetic {
        Synthetic {
            series: 7,
            number: 3,
            size,
            date: 1_772_434_805,
            to: "ivan.petrov@sandbox-org.ru".into(),
        }
    }

    #[test]
    fn messages_have_the_exact_size_and_well_formed_lines() {
        let mut out = Vec::new();
        for size in [MIN_SIZE, 1500, 2048, 2049, 2050, 2127, 2128, 51_200] {
            recipe(size).render(&mut out);
            assert_eq!(out.len(), size as usize, "size {size}");
            assert!(out.ends_with(b"\r\n"));
            let text = std::str::from_utf8(&out).unwrap();
            assert!(text.split("\r\n").all(|line| line.len() <= LINE - 2));
            assert!(!text.replace("\r\n", "").contains(['\r', '\n']));
        }
    }

    #[test]
    fn the_same_recipe_gives_the_same_bytes() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        recipe(4096).render(&mut a);
        recipe(4096).render(&mut b);
        assert_eq!(a, b);
        let mut other = recipe(4096);
        other.number = 4;
        other.render(&mut b);
        assert_ne!(a, b);
        assert!(String::from_utf8(a)
            .unwrap()
            .contains("Subject: Benchmark message 3 of series 7\r\n"));
    }

    #[test]
    fn sizes_stay_in_range_and_repeat() {
        let first: Vec<u32> = sizes(1, 1000, 2048, 51_200).collect();
        assert!(first.iter().all(|s| (2048..=51_200).contains(s)));
        assert_eq!(first, sizes(1, 1000, 2048, 51_200).collect::<Vec<_>>());
        assert!(first.iter().min() < Some(&4000) && first.iter().max() > Some(&49_000));
        assert_eq!(sizes(1, 3, 5, 5).collect::<Vec<_>>(), [5, 5, 5]);
    }
}
