//! W&B's binary transaction log, `run-<id>.wandb`: every record a run sent to W&B, written
//! in offline and online mode alike.
//!
//! The file is a 7-byte W&B header (`:W&B`, the magic `0xBEE1` little-endian, version 0)
//! followed by a LevelDB-style log: 32 KiB blocks (the header counts as part of the first
//! block) of tightly packed chunks, each a 7-byte chunk header (checksum u32 LE, payload
//! length u16 LE, type: 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST) and its payload. A chunk never
//! crosses a block boundary; fewer than 7 bytes left at the end of a block are zero padding.
//! A record is one FULL chunk or FIRST, MIDDLE…, LAST chunks. The checksum is the plain
//! CRC-32 (IEEE, zlib's `crc32`; W&B's writer uses this, not LevelDB's masked CRC-32C) of
//! the type byte followed by the payload, and is verified here.
//!
//! Each record is a protobuf `wandb_internal.Record` (wandb's `wandb_internal.proto`, field
//! numbers as in wandb 0.31.0). A small wire reader decodes only what is used and skips
//! every other field:
//!
//! | Message | Fields read |
//! |---|---|
//! | `Record` | `history` = 2, `config` = 5, `run` = 17, `exit` = 18 |
//! | `HistoryRecord` | `item` = 1 (repeated), `step` = 2 |
//! | `HistoryItem` | `key` = 1, `nested_key` = 2 (repeated), `integer` = 5 (sint64), `number` = 6 (double), `value_json` = 16 |
//! | `HistoryStep` | `num` = 1 |
//! | `RunExitRecord` | `exit_code` = 1 |
//! | `RunRecord` | `config` = 4, `start_time` = 17 |
//! | `ConfigRecord` | `update` = 1, `remove` = 2 (repeated `ConfigItem`) |
//! | `ConfigItem` | `key` = 1, `nested_key` = 2 (repeated), `value_json` = 16 |
//! | `google.protobuf.Timestamp` | `seconds` = 1, `nanos` = 2 |
//!
//! An item's name is its `nested_key` parts joined with `.` (its `key` when it has none),
//! as W&B names nested values (`{"nested": {"a": 1}}` is `nested.a`); a `value_json` that
//! is an object (not a W&B media object, which has `_type`) is flattened the same way.
//!
//! The file is read a block at a time. A log cut off mid-write (a killed run) keeps every
//! record before the cut; a corrupt chunk is skipped with the rest of its block (as
//! LevelDB recovers), then reading goes on at the next record that starts in a later block.
//! Both are reported, never fatal.

use serde_json::{Map, Value};
use std::io::Read;
use std::path::Path;
use sweep_core::History;

const BLOCK: usize = 32 * 1024;
const CHUNK_HEADER: usize = 7;
const FILE_HEADER: [u8; 7] = [b':', b'W', b'&', b'B', 0xE1, 0xBE, 0];

const FULL: u8 = 1;
const FIRST: u8 = 2;
const MIDDLE: u8 = 3;
const LAST: u8 = 4;

// Field numbers (wandb 0.31.0, `wandb/proto/wandb_internal_pb2.py`).
const RECORD_HISTORY: u32 = 2;
const RECORD_CONFIG: u32 = 5;
const RECORD_RUN: u32 = 17;
const RECORD_EXIT: u32 = 18;
const HISTORY_ITEM: u32 = 1;
const HISTORY_STEP: u32 = 2;
const ITEM_KEY: u32 = 1;
const ITEM_NESTED_KEY: u32 = 2;
const ITEM_INTEGER: u32 = 5;
const ITEM_NUMBER: u32 = 6;
const ITEM_VALUE_JSON: u32 = 16;
const STEP_NUM: u32 = 1;
const EXIT_CODE: u32 = 1;
const RUN_CONFIG: u32 = 4;
const RUN_START_TIME: u32 = 17;
const CONFIG_UPDATE: u32 = 1;
const CONFIG_REMOVE: u32 = 2;
const TIMESTAMP_SECONDS: u32 = 1;
const TIMESTAMP_NANOS: u32 = 2;

/// What a run's `.wandb` log holds.
#[derive(Debug, Default)]
pub(crate) struct RunLog {
    /// One record per W&B history record (one `log` call), with its numeric items and
    /// `_step`; `_`-prefixed items other than `_step` and `_runtime` are dropped.
    pub(crate) history: History,
    /// The exit code of the run's exit record, when the log has one (the run finished).
    pub(crate) exit_code: Option<i64>,
    /// The run record's start time, unix seconds.
    pub(crate) started_at: Option<f64>,
    /// The `_timestamp` of the last history record.
    pub(crate) last_timestamp: Option<f64>,
    /// The config from the run record and config records (`_wandb` dropped); `None` when
    /// the log has neither.
    pub(crate) config: Option<Map<String, Value>>,
    /// How many records were read.
    pub(crate) records: usize,
    /// What could not be read (a cut-off end, corrupt chunks, malformed records); the rest
    /// was read.
    pub(crate) problems: Vec<String>,
}

/// Reads a `.wandb` log. `Err` when the file cannot be opened or is not a W&B log (no
/// valid header); anything wrong after the header is in [`RunLog::problems`].
pub(crate) fn read(path: &Path) -> Result<RunLog, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    read_from(file)
}

/// [`read`] from any byte source.
pub(crate) fn read_from(source: impl Read) -> Result<RunLog, String> {
    let mut chunks = Chunks::new(source)?;
    let mut log = RunLog::default();
    let mut decoder = Decoder::default();
    while let Some(record) = chunks.next_record() {
        log.records += 1;
        if let Err(e) = decoder.record(&record, &mut log) {
            decoder.malformed += 1;
            decoder
                .first_malformed
                .get_or_insert_with(|| format!("record {} ({e})", log.records));
        }
    }
    log.problems.append(&mut chunks.problems);
    if let Some(first) = decoder.first_malformed {
        log.problems.push(format!(
            "{} malformed record(s) skipped, the first: {first}",
            decoder.malformed
        ));
    }
    if decoder.bad_values > 0 {
        log.problems.push(format!(
            "{} value(s) that are not JSON skipped",
            decoder.bad_values
        ));
    }
    log.config = decoder.config;
    Ok(log)
}

// ---- The block and chunk layer ----

/// Records reassembled from the chunks of a log, a block at a time.
struct Chunks<R> {
    source: R,
    block: Vec<u8>,
    /// The valid bytes of `block` (less than [`BLOCK`] only for the file's last block).
    len: usize,
    /// The next chunk header's position in `block`.
    pos: usize,
    /// The file offset of `block`'s first byte.
    block_offset: u64,
    /// The record being assembled from FIRST and MIDDLE chunks, and its offset.
    partial: Option<(u64, Vec<u8>)>,
    /// After a corrupt chunk: skip MIDDLE and LAST chunks until a FULL or FIRST one.
    recovering: bool,
    done: bool,
    corrupt: usize,
    first_corrupt: Option<String>,
    problems: Vec<String>,
}

/// One chunk: its type, where it starts in the file, and where its payload is in the block.
struct Chunk {
    kind: u8,
    offset: u64,
    start: usize,
    end: usize,
}

impl<R: Read> Chunks<R> {
    /// Reads the first block and checks the W&B header.
    fn new(source: R) -> Result<Self, String> {
        let mut chunks = Chunks {
            source,
            block: vec![0; BLOCK],
            len: 0,
            pos: 0,
            block_offset: 0,
            partial: None,
            recovering: false,
            done: false,
            corrupt: 0,
            first_corrupt: None,
            problems: Vec::new(),
        };
        chunks.len = read_full(&mut chunks.source, &mut chunks.block)
            .map_err(|e| format!("cannot read: {e}"))?;
        let header = chunks
            .block
            .get(..chunks.len.min(FILE_HEADER.len()))
            .unwrap_or(&[]);
        if header.len() < FILE_HEADER.len() {
            return Err(format!(
                "not a W&B log: {} bytes, shorter than its 7-byte header",
                chunks.len
            ));
        }
        if header[..6] != FILE_HEADER[..6] {
            return Err("not a W&B log: no `:W&B` header".to_string());
        }
        if header[6] != FILE_HEADER[6] {
            return Err(format!(
                "a W&B log of version {}, not 0; not read",
                header[6]
            ));
        }
        chunks.pos = FILE_HEADER.len();
        Ok(chunks)
    }

    /// The next whole record's payload; `None` at the end of the log (problems noted).
    fn next_record(&mut self) -> Option<Vec<u8>> {
        loop {
            let chunk = match self.next_chunk() {
                Ok(Some(chunk)) => chunk,
                Ok(None) => {
                    self.finish();
                    return None;
                }
                Err(reason) => {
                    self.note_corrupt(reason);
                    continue;
                }
            };
            let payload = chunk.start..chunk.end;
            match chunk.kind {
                FULL | FIRST => {
                    if let Some((offset, _)) = self.partial.take() {
                        self.note_corrupt(format!(
                            "the record at offset {offset} has no LAST chunk"
                        ));
                    }
                    self.recovering = false;
                    let data = self.block[payload].to_vec();
                    if chunk.kind == FULL {
                        return Some(data);
                    }
                    self.partial = Some((chunk.offset, data));
                }
                _ if self.recovering => {}
                MIDDLE | LAST => match self.partial.as_mut() {
                    Some((_, data)) => {
                        data.extend_from_slice(&self.block[payload]);
                        if chunk.kind == LAST {
                            return self.partial.take().map(|(_, data)| data);
                        }
                    }
                    None => self.note_corrupt(format!(
                        "a {} chunk at offset {} without a FIRST chunk",
                        if chunk.kind == LAST { "LAST" } else { "MIDDLE" },
                        chunk.offset
                    )),
                },
                other => self.note_corrupt(format!(
                    "a chunk of unknown type {other} at offset {}",
                    chunk.offset
                )),
            }
        }
    }

    /// The next chunk whose checksum holds; `Ok(None)` at the end of the log; `Err` for a
    /// corrupt chunk (the rest of its block is then skipped).
    fn next_chunk(&mut self) -> Result<Option<Chunk>, String> {
        loop {
            if self.done {
                return Ok(None);
            }
            if self.pos + CHUNK_HEADER > self.len {
                if self.len < BLOCK {
                    // The file's last block.
                    let rest = &self.block[self.pos.min(self.len)..self.len];
                    if rest.iter().any(|b| *b != 0) {
                        self.cut_off(self.block_offset + self.pos as u64);
                    }
                    self.done = true;
                    return Ok(None);
                }
                self.next_block();
                continue;
            }
            let header = &self.block[self.pos..self.pos + CHUNK_HEADER];
            let checksum = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let length = usize::from(u16::from_le_bytes([header[4], header[5]]));
            let kind = header[6];
            let offset = self.block_offset + self.pos as u64;
            if checksum == 0 && length == 0 && kind == 0 {
                // Zeroed space (pre-allocated or padding): the rest of the block is unused.
                self.pos = self.len;
                continue;
            }
            let start = self.pos + CHUNK_HEADER;
            let end = start + length;
            if end > self.len {
                if self.len < BLOCK {
                    // The file ends inside this chunk: cut off mid-write.
                    self.cut_off(offset);
                    self.done = true;
                    return Ok(None);
                }
                self.pos = self.len;
                return Err(format!(
                    "the chunk at offset {offset} runs past its block ({length} bytes)"
                ));
            }
            if chunk_crc(kind, &self.block[start..end]) != checksum {
                self.pos = self.len;
                return Err(format!("checksum mismatch in the chunk at offset {offset}"));
            }
            self.pos = end;
            return Ok(Some(Chunk {
                kind,
                offset,
                start,
                end,
            }));
        }
    }

    fn next_block(&mut self) {
        self.block_offset += self.len as u64;
        self.pos = 0;
        match read_full(&mut self.source, &mut self.block) {
            Ok(n) => {
                self.len = n;
                self.done = n == 0;
            }
            Err(e) => {
                self.problems.push(format!(
                    "cannot read past offset {}: {e}; the records before are read",
                    self.block_offset
                ));
                self.len = 0;
                self.done = true;
            }
        }
    }

    /// The log ends inside the chunk or record starting at `offset`.
    fn cut_off(&mut self, offset: u64) {
        let at = self.partial.take().map_or(offset, |(first, _)| first);
        self.problems.push(format!(
            "the log ends inside the record at offset {at} (cut off mid-write); the records before it are read"
        ));
    }

    /// At the end of the log: a record still open was cut off.
    fn finish(&mut self) {
        if let Some((offset, _)) = self.partial.take() {
            self.problems.push(format!(
                "the log ends inside the record at offset {offset} (cut off mid-write); the records before it are read"
            ));
        }
        if let Some(first) = self.first_corrupt.take() {
            self.problems.push(format!(
                "{} corrupt chunk(s) skipped with the rest of their block, the first: {first}",
                self.corrupt
            ));
        }
    }

    fn note_corrupt(&mut self, reason: String) {
        self.corrupt += 1;
        self.first_corrupt.get_or_insert(reason);
        self.partial = None;
        self.recovering = true;
    }
}

/// Fills `buf` from `source` as far as it goes; the count read (short only at the end).
fn read_full(source: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match source.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The CRC-32 (IEEE, zlib's) of a chunk: its type byte, then its payload.
fn chunk_crc(kind: u8, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(payload);
    h.finalize()
}

// ---- The protobuf layer ----

/// A field's value on the wire.
enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

/// The fields of one protobuf message, in order.
struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Fields { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, &'static str> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.buf.get(self.pos).ok_or("a varint runs past the end")?;
            self.pos += 1;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a varint longer than 10 bytes")
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or("a field runs past the end")?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// The next field: its number and value; `None` at the end of the message.
    fn next_field(&mut self) -> Option<Result<(u32, Wire<'a>), &'static str>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        Some(self.field())
    }

    fn field(&mut self) -> Result<(u32, Wire<'a>), &'static str> {
        let tag = self.varint()?;
        let number = u32::try_from(tag >> 3)
            .ok()
            .filter(|n| *n > 0)
            .ok_or("a bad field number")?;
        let value = match tag & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                Wire::Fixed64(u64::from_le_bytes([
                    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                ]))
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "a length too large")?;
                Wire::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed32
            }
            _ => return Err("an unsupported wire type"),
        };
        Ok((number, value))
    }
}

fn text(bytes: &[u8]) -> Result<&str, &'static str> {
    std::str::from_utf8(bytes).map_err(|_| "a string that is not UTF-8")
}

/// A `key`/`nested_key`/`value_json` item (`HistoryItem` or `ConfigItem`).
#[derive(Default)]
struct Item<'a> {
    key: &'a str,
    nested_key: Vec<&'a str>,
    value_json: Option<&'a str>,
    number: Option<f64>,
}

impl<'a> Item<'a> {
    fn decode(buf: &'a [u8]) -> Result<Self, &'static str> {
        let mut item = Item::default();
        let mut fields = Fields::new(buf);
        while let Some(field) = fields.next_field() {
            match field? {
                (ITEM_KEY, Wire::Bytes(b)) => item.key = text(b)?,
                (ITEM_NESTED_KEY, Wire::Bytes(b)) => item.nested_key.push(text(b)?),
                (ITEM_VALUE_JSON, Wire::Bytes(b)) => item.value_json = Some(text(b)?),
                // sint64, zigzag-encoded.
                (ITEM_INTEGER, Wire::Varint(v)) => {
                    item.number = Some(((v >> 1) as i64 ^ -((v & 1) as i64)) as f64);
                }
                (ITEM_NUMBER, Wire::Fixed64(v)) => item.number = Some(f64::from_bits(v)),
                _ => {}
            }
        }
        Ok(item)
    }

    /// The item's path: its `nested_key` parts, else its `key`.
    fn path(&self) -> Vec<&'a str> {
        if self.nested_key.is_empty() {
            vec![self.key]
        } else {
            self.nested_key.clone()
        }
    }
}

/// Decodes records into a [`RunLog`], keeping what spans records.
#[derive(Default)]
struct Decoder {
    config: Option<Map<String, Value>>,
    malformed: usize,
    first_malformed: Option<String>,
    bad_values: usize,
}

impl Decoder {
    fn record(&mut self, buf: &[u8], log: &mut RunLog) -> Result<(), &'static str> {
        // Find the parts first, so that a record malformed at its top level is skipped
        // whole; each part is decoded whole before it is used.
        let mut history = None;
        let mut config = Vec::new();
        let mut run = None;
        let mut exit = None;
        let mut fields = Fields::new(buf);
        while let Some(field) = fields.next_field() {
            match field? {
                (RECORD_HISTORY, Wire::Bytes(b)) => history = Some(b),
                (RECORD_CONFIG, Wire::Bytes(b)) => config.push(b),
                (RECORD_RUN, Wire::Bytes(b)) => run = Some(b),
                (RECORD_EXIT, Wire::Bytes(b)) => exit = Some(b),
                _ => {}
            }
        }
        if let Some(b) = run {
            self.run(b, log)?;
        }
        for b in config {
            self.config_record(b)?;
        }
        if let Some(b) = history {
            self.history(b, log)?;
        }
        if let Some(b) = exit {
            let mut code = 0i64;
            let mut fields = Fields::new(b);
            while let Some(field) = fields.next_field() {
                if let (EXIT_CODE, Wire::Varint(v)) = field? {
                    // int32: a negative value is sign-extended to 64 bits on the wire.
                    code = i64::from(v as i32);
                }
            }
            log.exit_code = Some(code);
        }
        Ok(())
    }

    fn run(&mut self, buf: &[u8], log: &mut RunLog) -> Result<(), &'static str> {
        let mut fields = Fields::new(buf);
        while let Some(field) = fields.next_field() {
            match field? {
                (RUN_CONFIG, Wire::Bytes(b)) => self.config_record(b)?,
                (RUN_START_TIME, Wire::Bytes(b)) => {
                    let (mut seconds, mut nanos) = (0i64, 0i64);
                    let mut ts = Fields::new(b);
                    while let Some(field) = ts.next_field() {
                        match field? {
                            (TIMESTAMP_SECONDS, Wire::Varint(v)) => seconds = v as i64,
                            (TIMESTAMP_NANOS, Wire::Varint(v)) => nanos = i64::from(v as i32),
                            _ => {}
                        }
                    }
                    let at = seconds as f64 + nanos as f64 * 1e-9;
                    log.started_at = Some(at).filter(|t| t.is_finite() && *t > 0.0);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn config_record(&mut self, buf: &[u8]) -> Result<(), &'static str> {
        let mut updates = Vec::new();
        let mut removes = Vec::new();
        let mut fields = Fields::new(buf);
        while let Some(field) = fields.next_field() {
            match field? {
                (CONFIG_UPDATE, Wire::Bytes(b)) => updates.push(Item::decode(b)?),
                (CONFIG_REMOVE, Wire::Bytes(b)) => removes.push(Item::decode(b)?),
                _ => {}
            }
        }
        let config = self.config.get_or_insert_with(Map::new);
        for item in updates {
            let path = item.path();
            if path.first().is_none_or(|k| k.is_empty() || *k == "_wandb") {
                continue;
            }
            let value = match item.value_json.map(sweep_core::parse_lenient_json) {
                Some(Ok(value)) => value,
                Some(Err(_)) => {
                    self.bad_values += 1;
                    continue;
                }
                None => continue,
            };
            set_path(config, &path, value);
        }
        for item in removes {
            remove_path(config, &item.path());
        }
        Ok(())
    }

    fn history(&mut self, buf: &[u8], log: &mut RunLog) -> Result<(), &'static str> {
        let mut items = Vec::new();
        let mut step = None;
        let mut fields = Fields::new(buf);
        while let Some(field) = fields.next_field() {
            match field? {
                (HISTORY_ITEM, Wire::Bytes(b)) => items.push(Item::decode(b)?),
                (HISTORY_STEP, Wire::Bytes(b)) => {
                    let mut num = 0i64;
                    let mut s = Fields::new(b);
                    while let Some(field) = s.next_field() {
                        if let (STEP_NUM, Wire::Varint(v)) = field? {
                            num = v as i64;
                        }
                    }
                    step = Some(num);
                }
                _ => {}
            }
        }
        let history = &mut log.history;
        history.begin();
        for item in &items {
            let key = item.path().join(".");
            if key.is_empty() {
                continue;
            }
            let value = match (item.value_json, item.number) {
                (Some(json), _) => match sweep_core::parse_lenient_json(json) {
                    Ok(value) => value,
                    Err(_) => {
                        self.bad_values += 1;
                        continue;
                    }
                },
                (None, Some(n)) => serde_json::Number::from_f64(n)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(n.to_string())),
                (None, None) => continue,
            };
            if key == "_timestamp" {
                if let Some(t) = sweep_core::metric_number(&value).filter(|t| t.is_finite()) {
                    log.last_timestamp = Some(t);
                }
                continue;
            }
            set_metric(history, &key, &value);
        }
        if let Some(step) = step {
            history.set("_step", step as f64);
        }
        history.end();
        Ok(())
    }
}

/// Sets `key` (and, for an object, each of its numbers as `key.sub`) in the open record.
/// `_`-prefixed keys other than `_step` and `_runtime` are W&B's own and dropped, as are
/// W&B media objects (objects with `_type`) and values that are not numbers.
pub(crate) fn set_metric(history: &mut History, key: &str, value: &Value) {
    if key.starts_with('_') && !matches!(key, "_step" | "_runtime") {
        return;
    }
    flatten(key, value, &mut |k, v| history.set(k, v));
}

/// Calls `out` with each number in `value` named `key`, or `key.sub` inside objects (W&B
/// media objects, with `_type`, skipped).
pub(crate) fn flatten(key: &str, value: &Value, out: &mut dyn FnMut(&str, f64)) {
    match value {
        Value::Object(map) if !map.contains_key("_type") => {
            for (sub, v) in map {
                flatten(&format!("{key}.{sub}"), v, out);
            }
        }
        other => {
            if let Some(n) = sweep_core::metric_number(other) {
                out(key, n);
            }
        }
    }
}

fn set_path(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = map;
    for part in parents {
        let slot = current
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        current = next;
    }
    current.insert(last.to_string(), value);
}

fn remove_path(map: &mut Map<String, Value>, path: &[&str]) {
    match path {
        [] => {}
        [last] => {
            map.remove(*last);
        }
        [first, rest @ ..] => {
            if let Some(Value::Object(next)) = map.get_mut(*first) {
                remove_path(next, rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `records` as a W&B log the way W&B's writer does: FULL when a record fits in
    /// what is left of the block, else FIRST, MIDDLE…, LAST, padding block ends of fewer
    /// than 7 bytes with zeros.
    fn write_log(records: &[Vec<u8>]) -> Vec<u8> {
        let mut out = FILE_HEADER.to_vec();
        for record in records {
            let mut rest: &[u8] = record;
            let mut first = true;
            loop {
                let left = BLOCK - out.len() % BLOCK;
                if left < CHUNK_HEADER {
                    out.resize(out.len() + left, 0);
                    continue;
                }
                let room = left - CHUNK_HEADER;
                let (part, more) = rest.split_at(rest.len().min(room));
                let last = more.is_empty();
                let kind = match (first, last) {
                    (true, true) => FULL,
                    (true, false) => FIRST,
                    (false, false) => MIDDLE,
                    (false, true) => LAST,
                };
                out.extend_from_slice(&chunk_crc(kind, part).to_le_bytes());
                out.extend_from_slice(&(part.len() as u16).to_le_bytes());
                out.push(kind);
                out.extend_from_slice(part);
                rest = more;
                first = false;
                if last {
                    break;
                }
            }
        }
        out
    }

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn bytes_field(number: u32, bytes: &[u8], out: &mut Vec<u8>) {
        varint(u64::from(number) << 3 | 2, out);
        varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }

    /// A `Record` with a history record of `items` (`nested_key` path, `value_json`) at `step`.
    fn history_record(items: &[(&[&str], &str)], step: u64) -> Vec<u8> {
        let mut history = Vec::new();
        for (path, json) in items {
            let mut item = Vec::new();
            for part in *path {
                bytes_field(ITEM_NESTED_KEY, part.as_bytes(), &mut item);
            }
            bytes_field(ITEM_VALUE_JSON, json.as_bytes(), &mut item);
            bytes_field(HISTORY_ITEM, &item, &mut history);
        }
        let mut step_msg = Vec::new();
        if step > 0 {
            varint(u64::from(STEP_NUM) << 3, &mut step_msg);
            varint(step, &mut step_msg);
        }
        bytes_field(HISTORY_STEP, &step_msg, &mut history);
        let mut record = Vec::new();
        varint(1 << 3, &mut record); // Record.num
        varint(7, &mut record);
        bytes_field(RECORD_HISTORY, &history, &mut record);
        record
    }

    fn exit_record(code: i32) -> Vec<u8> {
        let mut exit = Vec::new();
        if code != 0 {
            varint(u64::from(EXIT_CODE) << 3, &mut exit);
            varint(i64::from(code) as u64, &mut exit);
        }
        let mut record = Vec::new();
        bytes_field(RECORD_EXIT, &exit, &mut record);
        record
    }

    #[test]
    fn the_chunk_checksum_is_zlib_s_crc32_over_type_and_payload() {
        // zlib.crc32(b"\x01" + b"123456789")
        assert_eq!(chunk_crc(1, b"123456789"), 0x21B5_2EC0);
    }

    #[test]
    fn records_are_reassembled_across_32_kib_blocks() {
        // A filler leaves 3 bytes in the first block (less than a chunk header: zero
        // padding); a 70 KB record then spans three blocks (FIRST, MIDDLE, LAST); a second
        // filler ends exactly at a block end; then a small record and an exit record.
        let filler = vec![0xAB; BLOCK - FILE_HEADER.len() - CHUNK_HEADER - 3];
        let big = history_record(&[(&["big"], &format!("\"{}\"", "x".repeat(70_000)))], 1);
        let so_far = write_log(&[filler.clone(), big.clone()]).len();
        let filler2 = vec![0xAB; BLOCK - so_far % BLOCK - CHUNK_HEADER];
        let small = history_record(&[(&["loss"], "0.5"), (&["nested", "a"], "1")], 2);
        let records = vec![filler, big, filler2, small, exit_record(-3)];
        let bytes = write_log(&records);
        // The layout is as intended.
        assert_eq!(&bytes[BLOCK - 3..BLOCK], &[0, 0, 0]);
        assert_eq!(bytes[BLOCK + 6], FIRST);
        assert_eq!(bytes[2 * BLOCK + 6], MIDDLE);
        assert_eq!(bytes[3 * BLOCK + 6], LAST);
        let small_at = bytes.len() - records[4].len() - records[3].len() - 2 * CHUNK_HEADER;
        assert_eq!(small_at % BLOCK, 0, "the second filler ends at a block end");
        assert_eq!(bytes[small_at + 6], FULL);

        let mut chunks = Chunks::new(bytes.as_slice()).unwrap();
        let mut got = Vec::new();
        while let Some(record) = chunks.next_record() {
            got.push(record);
        }
        assert_eq!(got, records);
        assert!(chunks.problems.is_empty(), "{:?}", chunks.problems);

        let log = read_from(bytes.as_slice()).unwrap();
        assert_eq!(log.records, 5);
        assert_eq!(log.exit_code, Some(-3));
        // The big record's only item is text: a record with `_step` alone.
        assert_eq!(log.history.len(), 2);
        assert_eq!(log.history.record(0), [("_step".to_string(), 1.0)].into());
        let second = log.history.record(1);
        assert_eq!(second["loss"], 0.5);
        assert_eq!(second["nested.a"], 1.0);
        assert_eq!(second["_step"], 2.0);
        // The fillers are not protobuf records: one problem, the rest read.
        assert_eq!(log.problems.len(), 1, "{:?}", log.problems);
        assert!(
            log.problems[0].starts_with("2 malformed"),
            "{:?}",
            log.problems
        );
    }

    #[test]
    fn a_log_cut_inside_a_multi_block_record_keeps_the_records_before() {
        let first = history_record(&[(&["loss"], "1")], 0);
        let big = history_record(&[(&["text"], &format!("\"{}\"", "x".repeat(70_000)))], 1);
        let bytes = write_log(&[first, big]);
        // Cut in the second block, inside the MIDDLE chunk.
        let log = read_from(&bytes[..BLOCK + 100]).unwrap();
        assert_eq!(log.history.len(), 1);
        assert_eq!(log.problems.len(), 1);
        assert!(log.problems[0].contains("cut off"), "{:?}", log.problems);
        // Cut exactly at the block boundary: the FIRST chunk has no LAST.
        let log = read_from(&bytes[..BLOCK]).unwrap();
        assert_eq!(log.history.len(), 1);
        assert!(log.problems[0].contains("cut off"), "{:?}", log.problems);
    }

    #[test]
    fn a_corrupt_chunk_skips_its_block_and_reading_goes_on() {
        let records: Vec<Vec<u8>> = (0..2000u64)
            .map(|i| history_record(&[(&["i"], &i.to_string())], i))
            .collect();
        let mut bytes = write_log(&records);
        assert!(bytes.len() > BLOCK + 1000);
        bytes[100] ^= 0xFF; // inside one of the first block's first records
        let log = read_from(bytes.as_slice()).unwrap();
        assert!(log.history.len() < 1500 && log.history.len() > 100);
        assert_eq!(log.problems.len(), 1, "{:?}", log.problems);
        assert!(log.problems[0].contains("corrupt"), "{:?}", log.problems);
        // The records after the corrupt block are all there, in order.
        let last = log.history.record(log.history.len() - 1);
        assert_eq!(last["i"], 1999.0);
    }

    #[test]
    fn bad_headers_are_errors() {
        assert!(read_from(&b""[..]).is_err());
        assert!(read_from(&[0u8, 1, 2][..]).is_err());
        assert!(read_from(&b":W&B\xe1\xbe\x01"[..]).is_err());
        let empty = read_from(&FILE_HEADER[..]).unwrap();
        assert_eq!(empty.records, 0);
        assert!(empty.problems.is_empty());
    }

    #[test]
    fn hostile_bytes_after_the_header_do_not_panic() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in [1usize, 6, 7, 8, 50, 1000, BLOCK, BLOCK + 7, 3 * BLOCK + 5] {
            let mut bytes = FILE_HEADER.to_vec();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(seed as u8);
            }
            let _ = read_from(bytes.as_slice());
        }
        // Valid chunks holding protobuf garbage.
        let garbage: Vec<Vec<u8>> = vec![
            vec![0xFF; 20],
            vec![0x12, 0x05, 0x0A],
            vec![0x12, 0x02, 0x0A, 0x7F],
            vec![0x0B],
            vec![0x92, 0x01, 0x01, 0x08],
        ];
        let log = read_from(write_log(&garbage).as_slice()).unwrap();
        assert_eq!(log.records, 5);
        assert_eq!(log.history.len(), 0);
        assert_eq!(log.problems.len(), 1, "{:?}", log.problems);
    }
}
