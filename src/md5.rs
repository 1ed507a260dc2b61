//! MD5 (RFC 1321), the checksum Yandex Disk and Google Drive confirm transfers by.
//!
//! MD5 cannot be split across threads, so on fast links a verified transfer runs at one core's
//! MD5 speed. The `md-5` crate lets LLVM reorder each step's additions so that three of them wait
//! for the round function instead of one; here the sum of the state word, message word and
//! constant is pinned before the round function is added (see [`settled`]), the technique of
//! OpenSSL's assembly. On the development machine that is about 775 MB/s against the crate's
//! 570–640 (docs/benchmarks.md). MD5 is used only as a checksum here, never for security.

/// An MD5 computation fed piece by piece.
#[derive(Clone)]
pub struct Md5 {
    state: [u32; 4],
    /// The start of a block not yet complete.
    pending: [u8; 64],
    pending_len: usize,
    /// Bytes fed so far.
    length: u64,
}

impl Default for Md5 {
    fn default() -> Md5 {
        Md5::new()
    }
}

impl Md5 {
    pub fn new() -> Md5 {
        Md5 {
            state: [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476],
            pending: [0; 64],
            pending_len: 0,
            length: 0,
        }
    }

    pub fn update(&mut self, mut bytes: &[u8]) {
        self.length = self.length.wrapping_add(bytes.len() as u64);
        if self.pending_len > 0 {
            let take = bytes.len().min(64 - self.pending_len);
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&bytes[..take]);
            self.pending_len += take;
            bytes = &bytes[take..];
            if self.pending_len < 64 {
                return;
            }
            compress(&mut self.state, &self.pending);
            self.pending_len = 0;
        }
        let mut blocks = bytes.chunks_exact(64);
        for block in &mut blocks {
            compress(&mut self.state, block.try_into().expect("64 bytes"));
        }
        let rest = blocks.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// The 16-byte digest.
    pub fn finalize(mut self) -> [u8; 16] {
        let bits = self.length.wrapping_mul(8);
        // Padding: 0x80, zeros up to 56 bytes into a block, then the length in bits.
        let zeros = (119 - self.pending_len) % 64;
        let mut padding = [0u8; 72];
        padding[0] = 0x80;
        padding[1 + zeros..9 + zeros].copy_from_slice(&bits.to_le_bytes());
        self.update(&padding[..9 + zeros]);
        debug_assert_eq!(self.pending_len, 0);
        let mut digest = [0u8; 16];
        for (out, word) in digest.chunks_exact_mut(4).zip(self.state) {
            out.copy_from_slice(&word.to_le_bytes());
        }
        digest
    }
}

const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, //
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, //
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, //
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, //
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, //
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, //
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1, //
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391, //
];

/// Which message word each of the 64 steps adds.
const WORD: [usize; 64] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, //
    1, 6, 11, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, //
    5, 8, 11, 14, 1, 4, 7, 10, 13, 0, 3, 6, 9, 12, 15, 2, //
    0, 7, 14, 5, 12, 3, 10, 1, 8, 15, 6, 13, 4, 11, 2, 9, //
];

/// `value`, computed where it stands: LLVM may not fold it into the additions after it.
///
/// Each step is `b + rotl(a + m + k + f(b, c, d), s)`. Only `f` waits for the previous step, so
/// `a + m + k` should be ready before it; left alone, LLVM reassociates the sum into
/// `((f + a) + m) + k`, putting three additions on the critical path instead of one.
#[cfg(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64"))]
#[inline(always)]
fn settled(mut value: u32) -> u32 {
    // SAFETY: empty assembly blocks (the text is a comment): they read and write nothing but the
    // register holding `value`, which they leave unchanged.
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    unsafe {
        core::arch::asm!("/* {0:e} */", inout(reg) value, options(pure, nomem, nostack, preserves_flags))
    };
    #[cfg(target_arch = "aarch64")]
    unsafe {
        core::arch::asm!("/* {0:w} */", inout(reg) value, options(pure, nomem, nostack, preserves_flags))
    };
    value
}

/// Elsewhere the sum is left to the compiler: correct, only slower.
#[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
#[inline(always)]
fn settled(value: u32) -> u32 {
    value
}

macro_rules! step {
    ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $x:ident, $i:expr, $s:expr) => {
        let sum = $a.wrapping_add($x[WORD[$i]]).wrapping_add(K[$i]);
        $a = $b.wrapping_add(step!(@ $f, sum, $b, $c, $d).rotate_left($s));
    };
    // The parts of each round function that do not wait for `b` go into the settled sum.
    (@ F, $sum:ident, $b:ident, $c:ident, $d:ident) => {
        settled($sum).wrapping_add((($c ^ $d) & $b) ^ $d)
    };
    // G's two terms never overlap, so `|` is `+` and `c & !d` joins the early sum.
    (@ G, $sum:ident, $b:ident, $c:ident, $d:ident) => {
        settled($sum.wrapping_add($c & !$d)).wrapping_add($b & $d)
    };
    (@ H, $sum:ident, $b:ident, $c:ident, $d:ident) => {
        settled($sum).wrapping_add($b ^ ($c ^ $d))
    };
    (@ I, $sum:ident, $b:ident, $c:ident, $d:ident) => {
        settled($sum).wrapping_add($c ^ ($b | !$d))
    };
}

macro_rules! round {
    ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $x:ident, $first:expr, [$s0:expr, $s1:expr, $s2:expr, $s3:expr]) => {
        let mut i = $first;
        while i < $first + 16 {
            step!($f, $a, $b, $c, $d, $x, i, $s0);
            step!($f, $d, $a, $b, $c, $x, i + 1, $s1);
            step!($f, $c, $d, $a, $b, $x, i + 2, $s2);
            step!($f, $b, $c, $d, $a, $x, i + 3, $s3);
            i += 4;
        }
    };
}

fn compress(state: &mut [u32; 4], block: &[u8; 64]) {
    let mut x = [0u32; 16];
    for (word, bytes) in x.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_le_bytes(bytes.try_into().expect("4 bytes"));
    }
    let [mut a, mut b, mut c, mut d] = *state;
    round!(F, a, b, c, d, x, 0, [7, 12, 17, 22]);
    round!(G, a, b, c, d, x, 16, [5, 9, 14, 20]);
    round!(H, a, b, c, d, x, 32, [4, 11, 16, 23]);
    round!(I, a, b, c, d, x, 48, [6, 10, 15, 21]);
    for (word, add) in state.iter_mut().zip([a, b, c, d]) {
        *word = word.wrapping_add(add);
    }
}

#[cfg(test)]
mod tests {
    use super::Md5;
    use crate::transfer::hex;

    fn md5_hex(bytes: &[u8]) -> String {
        let mut md5 = Md5::new();
        md5.update(bytes);
        hex(&md5.finalize())
    }

    #[test]
    fn rfc_1321_test_suite() {
        let suite = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, digest) in suite {
            assert_eq!(md5_hex(input.as_bytes()), digest, "md5({input:?})");
        }
    }

    /// Every length around the block and padding boundaries, fed whole and in uneven pieces,
    /// against the `md-5` crate (which the sandbox uses, so transfers cross-check the two too).
    #[test]
    fn agrees_with_the_md5_crate_at_every_boundary() {
        use ::md5::Digest;
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        for len in 0..data.len() {
            let expected = hex(&::md5::Md5::digest(&data[..len]));
            assert_eq!(md5_hex(&data[..len]), expected, "length {len}");
            let mut pieces = Md5::new();
            for piece in data[..len].chunks(1 + len % 67) {
                pieces.update(piece);
            }
            assert_eq!(hex(&pieces.finalize()), expected, "length {len} in pieces");
        }
    }
}
