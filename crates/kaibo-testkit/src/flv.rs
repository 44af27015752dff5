//! Read-only FLV parsing that tolerates files still being written.

use std::path::Path;

/// One complete FLV tag.
#[derive(Debug, Clone, PartialEq)]
pub struct FlvTag {
    /// Tag type: 8 audio, 9 video, 18 script data.
    pub tag_type: u8,
    /// Timestamp in milliseconds (including the extended byte).
    pub timestamp_ms: u32,
    /// The tag's data.
    pub data: Vec<u8>,
}

impl FlvTag {
    /// True for a video tag carrying a coded frame (not a sequence header, end marker or command).
    pub fn is_video_frame(&self) -> bool {
        self.tag_type == 9 && is_coded_video(&self.data)
    }
}

fn is_coded_video(data: &[u8]) -> bool {
    let Some(&first) = data.first() else {
        return false;
    };
    if first & 0x80 != 0 {
        // Enhanced RTMP: low nibble is the packet type; 1 CodedFrames, 3 CodedFramesX.
        return matches!(first & 0x0f, 1 | 3) && data.len() > 5;
    }
    let frame_type = first >> 4;
    if frame_type == 5 {
        return false; // video info / command frame
    }
    match first & 0x0f {
        // AVC (and the common non-standard HEVC id 12): AVCPacketType 1 is a NALU.
        7 | 12 => data.get(1) == Some(&1) && data.len() > 5,
        _ => data.len() > 1,
    }
}

/// Parses all complete tags in `bytes`, stopping at a partial trailing tag.
fn parse_tags(bytes: &[u8]) -> Vec<FlvTag> {
    let mut tags = Vec::new();
    if bytes.len() < 9 || &bytes[..3] != b"FLV" {
        return tags;
    }
    let header = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]) as usize;
    // Skip the header and PreviousTagSize0.
    let mut pos = header.max(9) + 4;
    while let Some(head) = bytes.get(pos..pos + 11) {
        let size = u32::from_be_bytes([0, head[1], head[2], head[3]]) as usize;
        let Some(data) = bytes.get(pos + 11..pos + 11 + size) else {
            break;
        };
        let timestamp_ms = u32::from_be_bytes([head[7], head[4], head[5], head[6]]);
        tags.push(FlvTag {
            tag_type: head[0] & 0x1f,
            timestamp_ms,
            data: data.to_vec(),
        });
        pos += 11 + size + 4;
    }
    tags
}

/// All complete tags of the FLV file at `path` (empty if missing or not FLV).
pub fn flv_tags(path: &Path) -> Vec<FlvTag> {
    std::fs::read(path)
        .map(|b| parse_tags(&b))
        .unwrap_or_default()
}

/// True once the file holds at least one complete coded video frame.
pub fn flv_has_video_frame(path: &Path) -> bool {
    flv_tags(path).iter().any(FlvTag::is_video_frame)
}

/// Timestamps (ms) of the coded video frames in the file, in file order.
pub fn flv_video_timestamps_ms(path: &Path) -> Vec<u32> {
    flv_tags(path)
        .iter()
        .filter(|t| t.is_video_frame())
        .map(|t| t.timestamp_ms)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(tag_type: u8, ts: u32, data: &[u8]) -> Vec<u8> {
        let size = data.len() as u32;
        let mut out = vec![tag_type];
        out.extend_from_slice(&size.to_be_bytes()[1..]);
        out.extend_from_slice(&ts.to_be_bytes()[1..]);
        out.push((ts >> 24) as u8);
        out.extend_from_slice(&[0, 0, 0]);
        out.extend_from_slice(data);
        out.extend_from_slice(&(size + 11).to_be_bytes());
        out
    }

    fn file() -> Vec<u8> {
        let mut f = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        f.extend(tag(18, 0, b"\x02\x00\x0aonMetaData"));
        f.extend(tag(9, 0, &[0x17, 0, 0, 0, 0, 1, 0x64])); // AVC sequence header
        f.extend(tag(8, 0, &[0xaf, 1, 0x21]));
        f.extend(tag(9, 0, &[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65])); // keyframe NALU
        f.extend(tag(9, 0x0100_0021, &[0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41])); // extended timestamp
        f
    }

    #[test]
    fn finds_frames_and_tolerates_partial_tags() {
        let full = file();
        let tags = parse_tags(&full);
        assert_eq!(tags.len(), 5);
        let frames: Vec<u32> = tags
            .iter()
            .filter(|t| t.is_video_frame())
            .map(|t| t.timestamp_ms)
            .collect();
        assert_eq!(frames, vec![0, 0x0100_0021]);
        // Cut inside the last tag: only the first frame is complete.
        let cut = &full[..full.len() - 6];
        assert_eq!(
            parse_tags(cut)
                .iter()
                .filter(|t| t.is_video_frame())
                .count(),
            1
        );
        // Only the sequence header: no frame yet.
        let header_only = &full[..13 + 11 + 13 + 4 + 11 + 7 + 4];
        assert!(!parse_tags(header_only).iter().any(FlvTag::is_video_frame));
        assert!(parse_tags(b"FL").is_empty());
        assert!(parse_tags(b"not an flv file at all").is_empty());
    }

    #[test]
    fn reads_files() {
        let dir = crate::TempDir::new();
        let path = dir.path().join("a.flv");
        assert!(!flv_has_video_frame(&path));
        std::fs::write(&path, file()).expect("write test flv");
        assert!(flv_has_video_frame(&path));
        assert_eq!(flv_video_timestamps_ms(&path), vec![0, 0x0100_0021]);
        // Enhanced RTMP HEVC coded frame.
        let mut enhanced = b"FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        enhanced.extend(tag(9, 40, &[0x91, b'h', b'v', b'c', b'1', 0, 0, 0, 1]));
        std::fs::write(&path, enhanced).expect("write enhanced flv");
        assert_eq!(flv_video_timestamps_ms(&path), vec![40]);
    }
}
