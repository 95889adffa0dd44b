//! Text other people hand us, and text we hand to a browser: the one decoder of the files
//! teams and teachers bring (catalogs, rosters, scripts — UTF-8 with or without a BOM,
//! UTF-16 with a BOM, or GBK/GB18030 from Excel and WPS on Chinese Windows), and the one
//! HTML escape of the pages the desk and the practice server write.
//!
//! A leaf crate: no I/O, no dependency on the rest of AnchorDesk, so the catalog importer
//! (`core`), the course crate (which must not depend on `core`) and the sandbox share it.

/// The encoding a file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
    /// UTF-16 with a byte-order mark.
    Utf16,
}

/// Why a file is not text we can read: the first byte that does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotText {
    /// Byte offset of the first byte that decodes in none of the encodings tried.
    pub offset: usize,
}

/// Decodes `bytes`: a UTF-16 byte-order mark wins, then UTF-8 (a UTF-8 BOM is dropped),
/// then GB18030 (which covers GBK); nothing is replaced silently.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), NotText> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes)
        && encoding != encoding_rs::UTF_8
    {
        return encoding
            .decode_without_bom_handling_and_without_replacement(&bytes[bom_len..])
            .map(|text| (text.into_owned(), Encoding::Utf16))
            .ok_or(NotText { offset: bom_len });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok((text.to_string(), Encoding::Utf8)),
        Err(utf8_err) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(body)
            .map(|text| (text.into_owned(), Encoding::Gb18030))
            .ok_or(NotText { offset: utf8_err.valid_up_to() }),
    }
}

/// `text` safe to put between tags or inside a quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A line through `points` (`(x, y)`, in order of x) as an inline SVG `width` × `height`:
/// x from 0 to the last point's, y from 0 to the highest (2 px kept clear at the top and
/// bottom). `label` names it for screen readers. Nothing for no points. Used for the viewer
/// curve of the printable report and of the team's web page.
pub fn line_svg(points: &[(i64, i64)], width: u32, height: u32, label: &str) -> String {
    let (Some(last), Some(top)) = (points.last(), points.iter().map(|p| p.1).max()) else {
        return String::new();
    };
    let (span, top) = (last.0.max(1) as f64, top.max(1) as f64);
    let (w, h) = (f64::from(width), f64::from(height));
    let line: Vec<String> = points.iter().map(|&(x, y)| format!("{:.1},{:.1}", x as f64 / span * w, h - 2.0 - y as f64 / top * (h - 4.0))).collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\
         <polyline fill=\"none\" stroke=\"#e8590c\" stroke-width=\"2\" points=\"{}\"/></svg>",
        escape_html(label),
        line.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_spans_the_picture_and_its_label_is_escaped() {
        assert_eq!(line_svg(&[], 300, 48, "x"), "");
        let svg = line_svg(&[(0, 0), (150, 50), (300, 100)], 300, 48, "<viewers>");
        assert!(svg.contains("points=\"0.0,46.0 150.0,24.0 300.0,2.0\""), "{svg}");
        assert!(svg.contains("aria-label=\"&lt;viewers&gt;\""), "{svg}");
    }

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(escape_html(r#"<script>"a" & 'b'</script>"#), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    }

    #[test]
    fn utf8_gbk_and_utf16_are_read_and_junk_is_refused() {
        let (gbk, _, _) = encoding_rs::GBK.encode("全网最低价");
        assert_eq!(decode(&gbk), Ok(("全网最低价".to_owned(), Encoding::Gb18030)));
        assert_eq!(decode("\u{FEFF}最低价".as_bytes()), Ok(("最低价".to_owned(), Encoding::Utf8)));
        let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("最低价".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&utf16), Ok(("最低价".to_owned(), Encoding::Utf16)));
        assert!(decode(&[0x81, 0x20, 0xFF]).is_err());
    }
}

/// What a spreadsheet (an .xlsx or .ods is a ZIP archive) declares it unpacks to, in bytes,
/// read from its central directory before anything is decompressed: a few kilobytes can
/// hold gigabytes of zeros, and the decompressor stops at the declared sizes. `Ok(0)` for
/// bytes that are not a ZIP archive (an old .xls, say); `Err` names what is wrong with one.
pub fn declared_unpacked_bytes(bytes: &[u8]) -> Result<u64, String> {
    if !bytes.starts_with(b"PK") {
        return Ok(0);
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|err| err.to_string())?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        // The central directory's size, also for entries written with data descriptors.
        total = total.saturating_add(archive.by_index_raw(index).map_err(|err| err.to_string())?.size());
    }
    Ok(total)
}
