//! The binary form of a stretch of a run's history (a "chunk"), one database row each.
//!
//! A chunk is columnar: for every metric key, which records have it and their values.
//! Columns whose values are all integers (steps, epochs, counts) are written as zig-zag
//! varint deltas, one or two bytes a record; other columns as raw IEEE-754 doubles, so every
//! value (NaN payloads and -0.0 included) comes back bit for bit.
//!
//! ```text
//! chunk   = version:u8(=1) records:varint columns:varint column*
//! column  = key_len:varint key:utf8 flags:u8 payload_len:varint payload
//! flags   = bit 0: a presence bitmap leads the payload (else every record has the key)
//!           bit 1: values are varint deltas of integers (else 8-byte little-endian f64)
//! payload = bitmap:ceil(records/8) bytes (bit i of byte i/8 = record i has the key)
//!           then one value per record that has the key
//! ```
//! `payload_len` lets a reader of one metric skip the others.

use sweep_core::{Column, History};

const VERSION: u8 = 1;
const HAS_BITMAP: u8 = 1;
const INT_DELTAS: u8 = 2;

/// Why a chunk could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("history chunk: {0}")]
pub struct ChunkError(&'static str);

/// The chunk of `history`.
pub fn encode(history: &History) -> Vec<u8> {
    let n = history.len();
    let mut out = Vec::with_capacity(16 + history.columns().len() * (24 + n * 8));
    out.push(VERSION);
    put_varint(&mut out, n as u64);
    put_varint(&mut out, history.columns().len() as u64);
    let mut payload = Vec::new();
    for column in history.columns() {
        payload.clear();
        let mut flags = 0u8;
        if let Some(present) = column.presence() {
            flags |= HAS_BITMAP;
            let mut bits = vec![0u8; n.div_ceil(8)];
            for (i, p) in present.iter().enumerate() {
                if *p {
                    bits[i / 8] |= 1 << (i % 8);
                }
            }
            payload.extend_from_slice(&bits);
        }
        let present = || column.iter().map(|(_, v)| v);
        if present().all(as_int_ok) {
            flags |= INT_DELTAS;
            let mut previous = 0i64;
            for v in present() {
                let i = v as i64;
                put_varint(&mut payload, zigzag(i.wrapping_sub(previous)));
                previous = i;
            }
        } else {
            for v in present() {
                payload.extend_from_slice(&v.to_le_bytes());
            }
        }
        put_varint(&mut out, column.key().len() as u64);
        out.extend_from_slice(column.key().as_bytes());
        out.push(flags);
        put_varint(&mut out, payload.len() as u64);
        out.extend_from_slice(&payload);
    }
    out
}

/// Every column of a chunk.
pub fn decode(bytes: &[u8]) -> Result<History, ChunkError> {
    let mut r = Reader { bytes, at: 0 };
    let (n, count) = header(&mut r)?;
    let mut columns = Vec::with_capacity(count.min(1 << 16));
    for _ in 0..count {
        let (key, flags, payload) = column_parts(&mut r)?;
        columns.push(decode_column(key.to_string(), flags, payload, n)?);
    }
    if r.at != bytes.len() {
        return Err(ChunkError("bytes after the last column"));
    }
    History::from_columns(n, columns).ok_or(ChunkError("columns disagree"))
}

/// The values of `key` in a chunk, in record order (records without it left out), and
/// the chunk's record count; other columns are skipped unread.
pub fn decode_metric(bytes: &[u8], key: &str) -> Result<(Vec<f64>, usize), ChunkError> {
    let mut r = Reader { bytes, at: 0 };
    let (n, count) = header(&mut r)?;
    for _ in 0..count {
        let (k, flags, payload) = column_parts(&mut r)?;
        if k == key {
            let column = decode_column(String::new(), flags, payload, n)?;
            return Ok((column.iter().map(|(_, v)| v).collect(), n));
        }
    }
    Ok((Vec::new(), n))
}

fn header(r: &mut Reader<'_>) -> Result<(usize, usize), ChunkError> {
    if r.byte()? != VERSION {
        return Err(ChunkError("unknown version"));
    }
    let n = usize::try_from(r.varint()?).map_err(|_| ChunkError("record count too large"))?;
    let count = usize::try_from(r.varint()?).map_err(|_| ChunkError("column count too large"))?;
    // Every column holds a bit or a byte per record, and a history has no empty record:
    // counts the bytes cannot hold are damage, refused before anything is allocated.
    if count > r.bytes.len() || n > r.bytes.len().saturating_mul(8) || (count == 0 && n > 0) {
        return Err(ChunkError("counts larger than the chunk"));
    }
    Ok((n, count))
}

fn column_parts<'a>(r: &mut Reader<'a>) -> Result<(&'a str, u8, &'a [u8]), ChunkError> {
    let key_len = r.len()?;
    let key = std::str::from_utf8(r.take(key_len)?).map_err(|_| ChunkError("key is not UTF-8"))?;
    let flags = r.byte()?;
    let payload_len = r.len()?;
    Ok((key, flags, r.take(payload_len)?))
}

fn decode_column(key: String, flags: u8, payload: &[u8], n: usize) -> Result<Column, ChunkError> {
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let present: Option<Vec<bool>> = if flags & HAS_BITMAP != 0 {
        let bits = r.take(n.div_ceil(8))?;
        Some((0..n).map(|i| bits[i / 8] & (1 << (i % 8)) != 0).collect())
    } else {
        None
    };
    let mut values = Vec::with_capacity(n);
    let mut previous = 0i64;
    for i in 0..n {
        if present.as_ref().is_some_and(|p| !p[i]) {
            values.push(0.0);
            continue;
        }
        let v = if flags & INT_DELTAS != 0 {
            previous = previous.wrapping_add(unzigzag(r.varint()?));
            previous as f64
        } else {
            let b: [u8; 8] = r
                .take(8)?
                .try_into()
                .map_err(|_| ChunkError("short value"))?;
            f64::from_le_bytes(b)
        };
        values.push(v);
    }
    if r.at != payload.len() {
        return Err(ChunkError("column longer than its records"));
    }
    Column::from_parts(key, values, present).ok_or(ChunkError("column length"))
}

/// Integers that survive `as i64 as f64` exactly (not -0.0, within ±2^53).
fn as_int_ok(v: f64) -> bool {
    v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0 && !(v == 0.0 && v.is_sign_negative())
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, ChunkError> {
        let b = *self.bytes.get(self.at).ok_or(ChunkError("truncated"))?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], ChunkError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(ChunkError("truncated"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn varint(&mut self) -> Result<u64, ChunkError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(ChunkError("varint too long"))
    }

    fn len(&mut self) -> Result<usize, ChunkError> {
        let v = self.varint()?;
        usize::try_from(v)
            .ok()
            .filter(|l| *l <= self.bytes.len())
            .ok_or(ChunkError("length past the end"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sweep_core::MetricRecord;

    fn rec(pairs: &[(&str, f64)]) -> MetricRecord {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn every_value_comes_back_bit_for_bit() {
        let odd = f64::from_bits(0x7ff8_0000_dead_beef);
        let records = vec![
            rec(&[("step", 0.0), ("loss", 1.5), ("neg", -0.0)]),
            rec(&[("step", 1.0), ("loss", odd), ("big", 1e300)]),
            rec(&[("step", -7.0), ("inf", f64::NEG_INFINITY)]),
            rec(&[("step", 9_007_199_254_740_992.0), ("loss", 0.1)]),
        ];
        let h = History::from_records(&records);
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back.len(), 4);
        for (a, b) in h.columns().iter().zip(back.columns()) {
            assert_eq!(a.key(), b.key());
            assert_eq!(a.presence(), b.presence());
            let bits = |c: &Column| c.iter().map(|(i, v)| (i, v.to_bits())).collect::<Vec<_>>();
            assert_eq!(bits(a), bits(b), "{}", a.key());
        }
        let (steps, n) = decode_metric(&encode(&h), "step").unwrap();
        assert_eq!(n, 4);
        assert_eq!(steps, vec![0.0, 1.0, -7.0, 9_007_199_254_740_992.0]);
        assert_eq!(decode_metric(&encode(&h), "nope").unwrap(), (vec![], 4));
    }

    #[test]
    fn integer_columns_take_a_byte_or_two_a_record() {
        let records: Vec<MetricRecord> = (0..1000).map(|i| rec(&[("step", i as f64)])).collect();
        let bytes = encode(&History::from_records(&records));
        assert!(bytes.len() < 1020, "{}", bytes.len());
    }

    #[test]
    fn damaged_chunks_are_errors_not_panics() {
        let h = History::from_records(&[rec(&[("a", 0.25)]), rec(&[("b", 2.0)])]);
        let bytes = encode(&h);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
        let mut version = bytes;
        version[0] = 9;
        assert!(decode(&version).is_err());
        assert!(
            decode(&[
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ])
            .is_err()
        );
    }
}
