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

#[cfg(test)]
mod tests {
    use super::*;

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
