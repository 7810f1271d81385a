//! MurmurHash3 x86 32-bit, bit-compatible with `sklearn.utils.murmurhash3_32`
//! (which hashes the UTF-8 bytes of a `str`).

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

#[inline]
fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// MurmurHash3_x86_32 of `key` with `seed`, as an unsigned value
/// (`murmurhash3_32(key, seed, positive=True)`).
#[inline]
pub fn murmurhash3_32_u(key: &[u8], seed: u32) -> u32 {
    let mut h = seed;
    let mut blocks = key.chunks_exact(4);
    for b in &mut blocks {
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k: u32 = 0;
        for (i, &byte) in tail.iter().enumerate() {
            k |= u32::from(byte) << (8 * i);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    // The reference implementation mixes in the length as a 32-bit integer.
    h ^= key.len() as u32;
    fmix32(h)
}

/// MurmurHash3_x86_32 of `key` with `seed`, as a signed value
/// (`sklearn.utils.murmurhash3_32(key, seed, positive=False)`).
#[inline]
pub fn murmurhash3_32(key: &[u8], seed: u32) -> i32 {
    murmurhash3_32_u(key, seed) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (text, seed 0, seed 42) from `sklearn.utils.murmurhash3_32` (scikit-learn 1.9.1).
    const CASES: &[(&str, i32, i32)] = &[
        ("", 0, 142593372),
        ("a", 1009084850, -1293573533),
        ("ab", -1681926305, -684913081),
        ("abc", -1277324294, 1313807976),
        ("abcd", 1139631978, -396302900),
        ("hello", 613153351, -488910111),
        ("hello world", 1586663183, -368272391),
        ("the quick brown fox", 519850996, -1980964478),
        ("héllo", -1130389400, -159043077),
        ("naïve café", 1734666806, -1533585548),
        ("日本語", -1515949417, -976822600),
        ("😀 emoji", -1846933314, -1933762684),
        ("Ünïcödé ß", 418585523, -1896904428),
        ("a b c d e", 641812011, 404702332),
    ];

    #[test]
    fn matches_sklearn() {
        for &(s, h0, h42) in CASES {
            assert_eq!(murmurhash3_32(s.as_bytes(), 0), h0, "{s:?}");
            assert_eq!(murmurhash3_32(s.as_bytes(), 42), h42, "{s:?} seed 42");
        }
        // positive=True is the same bits read as unsigned.
        assert_eq!(murmurhash3_32_u("ab".as_bytes(), 0), 2613040991);
        assert_eq!(murmurhash3_32_u("日本語".as_bytes(), 0), 2779017879);
    }
}
