//! Folding text into the form patterns are matched against, with a map back to the
//! original bytes.
//!
//! The folded text keeps letters and digits (lowercased, NFKD-folded, full-width to
//! ASCII, traditional to simplified for the characters the packs use) and a few symbols
//! that carry meaning in claims (`% # + $ ¥`, a decimal point between digits). Everything
//! else becomes a separator or disappears:
//!
//! - zero-width and format characters, variation selectors, combining marks and emoji
//!   skin tones disappear without a trace, so `全\u{200B}网` is `全网`;
//! - clause punctuation (`。！？；：、` and their ASCII forms, line breaks) becomes one
//!   hard separator `|`, so a claim never spans two clauses;
//! - spaces, decorative punctuation (`· • * - _ ~ /`), brackets, quotes and emoji are soft
//!   separators: between two ASCII letters or digits they become one space (English word
//!   boundaries survive), anywhere else they disappear (`最·低·价` is `最低价`, `第 一` is
//!   `第一`). A run of single letters is joined (`B E S T` is `best`).
//!
//! Leading and trailing separators are dropped, so folding is idempotent: folding folded
//! text gives it back unchanged.

use std::sync::OnceLock;

use unicode_normalization::char::decompose_compatible;

/// The hard separator in folded text.
pub(crate) const HARD: char = '|';

/// Folded text and, for every byte of it, the original byte range it came from.
#[derive(Debug, Default, Clone)]
pub(crate) struct Folded {
    /// The folded text.
    pub text: String,
    /// For each byte of `text`, the start of the original character it came from.
    starts: Vec<u32>,
    /// For each byte of `text`, the end of the original character it came from.
    ends: Vec<u32>,
    items: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Content,
    Soft,
    Hard,
}

#[derive(Debug, Clone, Copy)]
struct Item {
    class: Class,
    ch: char,
    start: u32,
    end: u32,
}

impl Folded {
    /// The original byte range covered by folded bytes `start..end` (`start < end`, both on
    /// char boundaries of `text`). The result lies on char boundaries of the original.
    pub fn original_range(&self, start: usize, end: usize) -> (u32, u32) {
        debug_assert!(start < end && end <= self.text.len());
        (self.starts[start], self.ends[end - 1])
    }

    /// The folded bytes that come from original bytes `start..end` (offsets as given to
    /// [`Folded::fold`], base included): a range on char boundaries of `text`, possibly
    /// empty.
    pub fn folded_range(&self, start: u32, end: u32) -> std::ops::Range<usize> {
        let from = self.starts.partition_point(|&s| s < start);
        let to = self.ends.partition_point(|&e| e <= end).max(from);
        let mut from = from.min(self.text.len());
        let mut to = to.min(self.text.len());
        while !self.text.is_char_boundary(from) {
            from += 1;
        }
        while !self.text.is_char_boundary(to) {
            to -= 1;
        }
        from..to.max(from)
    }

    /// Folds `input` into `self`, reusing the buffers. Offsets in the map are relative to
    /// `input` plus `base`.
    pub fn fold(&mut self, input: &str, base: u32) {
        self.text.clear();
        self.starts.clear();
        self.ends.clear();
        let mut items = std::mem::take(&mut self.items);
        items.clear();
        classify(input, base, &mut items);
        self.join(&items);
        self.items = items;
    }

    fn push(&mut self, ch: char, start: u32, end: u32) {
        let n = ch.len_utf8();
        self.text.push(ch);
        for _ in 0..n {
            self.starts.push(start);
            self.ends.push(end);
        }
    }

    fn join(&mut self, items: &[Item]) {
        let mut idx = 0;
        // Length in characters of the current original word token (ASCII letters/digits).
        let mut token_len = 0usize;
        let mut last: Option<char> = None;
        while idx < items.len() {
            let item = items[idx];
            if item.class == Class::Content {
                self.push(item.ch, item.start, item.end);
                token_len = if is_word(item.ch) { token_len + 1 } else { 0 };
                last = Some(item.ch);
                idx += 1;
                continue;
            }
            let run_start = idx;
            let mut hard: Option<Item> = None;
            while idx < items.len() && items[idx].class != Class::Content {
                if items[idx].class == Class::Hard && hard.is_none() {
                    hard = Some(items[idx]);
                }
                idx += 1;
            }
            let Some(prev) = last else { continue };
            if idx == items.len() {
                break;
            }
            let next = items[idx].ch;
            if let Some(hard) = hard {
                self.push(HARD, hard.start, hard.end);
            } else if is_word(prev) && is_word(next) {
                let before_single = token_len == 1 && prev.is_ascii_alphabetic();
                let after_single = next.is_ascii_alphabetic()
                    && items
                        .get(idx + 1)
                        .is_none_or(|i| i.class != Class::Content || !is_word(i.ch));
                if !(before_single && after_single) {
                    let sep = items[run_start];
                    self.push(' ', sep.start, sep.end);
                }
            }
            token_len = 0;
        }
    }
}

/// Folds a string on its own; the same folding the linter applies to text and patterns.
pub fn fold(input: &str) -> String {
    // Loading the packs folds tens of thousands of short phrases: one scratch map per thread,
    // reused, instead of growing four fresh buffers for each.
    thread_local! {
        static SCRATCH: std::cell::RefCell<Folded> = std::cell::RefCell::new(Folded::default());
    }
    // Most of a pack's phrases are Chinese characters only, which fold one by one to their
    // simplified form (a test holds this to the full folding).
    if input.chars().all(is_cjk_unified) {
        return input.chars().map(simplify).collect();
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut folded) => {
            folded.fold(input, 0);
            folded.text.clone()
        }
        Err(_) => {
            let mut folded = Folded::default();
            folded.fold(input, 0);
            folded.text
        }
    })
}

/// True for the characters English word boundaries are made of.
pub(crate) fn is_word(ch: char) -> bool {
    ch.is_ascii_alphanumeric()
}

fn classify(input: &str, base: u32, items: &mut Vec<Item>) {
    let mut iter = input.char_indices().peekable();
    let mut prev_raw: Option<char> = None;
    while let Some((offset, ch)) = iter.next() {
        let start = base + offset as u32;
        let end = start + ch.len_utf8() as u32;
        if is_ignorable(ch) {
            continue;
        }
        let mut emit = |class: Class, ch: char| {
            items.push(Item {
                class,
                ch,
                start,
                end,
            })
        };
        if ch.is_ascii() {
            // Only '.' and ',' look at their neighbours; skip the look-ahead for the rest.
            let next_raw = if matches!(ch, '.' | ',') {
                next_significant(&mut iter.clone())
            } else {
                None
            };
            classify_ascii(ch, prev_raw, next_raw, &mut emit);
        } else if is_cjk_unified(ch) {
            emit(Class::Content, simplify(ch));
        } else {
            let next_raw = next_significant(&mut iter.clone());
            let mut parts: [char; 8] = ['\0'; 8];
            let mut n_parts = 0;
            let mut overflow = false;
            decompose_compatible(ch, |part| {
                if n_parts < parts.len() {
                    parts[n_parts] = part;
                    n_parts += 1;
                } else {
                    overflow = true;
                }
            });
            // A handful of ligature-like characters decompose into more than eight parts;
            // they carry no claim, so treat them as a soft separator.
            if overflow {
                emit(Class::Soft, ' ');
            } else {
                // Each part's neighbours are the parts beside it: "‥" folds as the ".." it
                // stands for, so that folding again changes nothing.
                for (i, &part) in parts[..n_parts].iter().enumerate() {
                    let prev = if i > 0 { Some(parts[i - 1]) } else { prev_raw };
                    let next = if i + 1 < n_parts { Some(parts[i + 1]) } else { next_raw };
                    classify_folded(part, prev, next, &mut emit);
                }
            }
        }
        prev_raw = Some(ch);
    }
}

fn next_significant(iter: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Option<char> {
    iter.map(|(_, ch)| ch).find(|&ch| !is_ignorable(ch))
}

fn classify_folded(
    part: char,
    prev_raw: Option<char>,
    next_raw: Option<char>,
    emit: &mut impl FnMut(Class, char),
) {
    if part.is_ascii() {
        classify_ascii(part, prev_raw, next_raw, emit);
    } else if is_ignorable(part) {
    } else if matches!(part, '¥' | '€' | '£') {
        emit(Class::Content, part);
    } else if part.is_alphanumeric() {
        for lower in part.to_lowercase() {
            if lower.is_ascii() {
                classify_ascii(lower, prev_raw, next_raw, emit);
            } else if !is_ignorable(lower) {
                emit(Class::Content, simplify(homoglyph(lower)));
            }
        }
    } else if part.is_whitespace() {
        emit(Class::Soft, ' ');
    } else if is_clause_punct(part) {
        emit(Class::Hard, HARD);
    } else {
        emit(Class::Soft, ' ');
    }
}

fn classify_ascii(
    ch: char,
    prev_raw: Option<char>,
    next_raw: Option<char>,
    emit: &mut impl FnMut(Class, char),
) {
    let digit = |c: Option<char>| c.and_then(ascii_fold).is_some_and(|c| c.is_ascii_digit());
    let alnum = |c: Option<char>| {
        c.and_then(ascii_fold)
            .is_some_and(|c| c.is_ascii_alphanumeric())
    };
    match ch {
        'A'..='Z' => emit(Class::Content, ch.to_ascii_lowercase()),
        'a'..='z' | '0'..='9' | '%' | '#' | '+' | '$' => emit(Class::Content, ch),
        '.' if digit(prev_raw) && digit(next_raw) => emit(Class::Content, '.'),
        '.' if alnum(prev_raw) && alnum(next_raw) => emit(Class::Soft, ' '),
        // A thousands separator: 10,000 is 10000.
        ',' if digit(prev_raw) && digit(next_raw) => {}
        '.' | ',' | '!' | '?' | ';' | ':' | '\n' | '\r' | '|' => emit(Class::Hard, HARD),
        _ => emit(Class::Soft, ' '),
    }
}

/// Full-width ASCII to ASCII, for looking at a neighbour before it is folded.
fn ascii_fold(ch: char) -> Option<char> {
    if ch.is_ascii() {
        Some(ch)
    } else if ('\u{FF01}'..='\u{FF5E}').contains(&ch) {
        char::from_u32(ch as u32 - 0xFEE0)
    } else {
        None
    }
}

pub(crate) fn is_cjk_unified(ch: char) -> bool {
    matches!(ch, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

fn is_clause_punct(ch: char) -> bool {
    matches!(
        ch,
        '。' | '、' | '｡' | '､' | '‼' | '⁇' | '⁈' | '⁉' | '\u{2028}' | '\u{2029}' | '\u{85}'
    )
}

/// Characters that are dropped without leaving a separator.
fn is_ignorable(ch: char) -> bool {
    matches!(ch,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{3099}' | '\u{309A}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{1F3FB}'..='\u{1F3FF}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
        || (ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t' && ch != '\u{85}')
}

/// Cyrillic and Greek letters that look like Latin ones, as used to dodge word lists.
fn homoglyph(ch: char) -> char {
    match ch {
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'х' => 'x',
        'у' => 'y',
        'і' => 'i',
        'ѕ' => 's',
        'ο' => 'o',
        _ => ch,
    }
}

/// Traditional characters (first of each pair) and their simplified forms, for every
/// traditional form of a character the rule packs use, plus common ones around them, and
/// the look-alike 蕞 that anchors write for 最 to dodge word filters.
/// Pairs are separated by spaces; no simplified form is itself a key, so mapping is idempotent.
const TRAD_SIMP: &str = "\
價价 網网 體体 絕绝 級级 國国 對对 療疗 藥药 無无 僅仅 們们 後后 優优 質质 機机 \
綠绿 標标 誌志 贈赠 費费 郵邮 發发 貨货 單单 賣卖 銷销 額额 點点 準准 確确 證证 \
認认 專专 產产 鑽钻 條条 癥症 醫医 壓压 脹胀 腫肿 瘡疮 風风 濕湿 腎肾 臟脏 腸肠 \
補补 滅灭 殺杀 蟲虫 殘残 劑剂 險险 賠赔 賺赚 圍围 頂顶 極极 萬万 億亿 稱称 獨独 \
嚴严 厲厉 實实 驗验 試试 測测 報报 導导 據据 團团 隊队 長长 農农 園园 種种 鮮鲜 \
蘋苹 華华 聯联 縣县 區区 鎮镇 鄉乡 關关 頭头 領领 幹干 員员 處处 廳厅 門门 會会 \
屆届 獎奖 榮荣 譽誉 獲获 銀银 銅铜 權权 讓让 說说 話话 讀读 寫写 學学 習习 師师 \
護护 養养 氣气 靈灵 運运 轉转 財财 開开 廟庙 陽阳 陰阴 災灾 禍祸 買买 贏赢 輸输 \
錢钱 搶抢 線线 數数 絲丝 評评 論论 歲岁 兒儿 嬰婴 幣币 號号 碼码 車车 輛辆 時时 \
間间 東东 錯错 過过 這这 還还 個个 為为 麼么 從从 給给 於于 與与 麗丽 愛爱 見见 \
覺觉 聽听 廣广 歷历 顆颗 畝亩 豐丰 麵面 飯饭 魚鱼 雞鸡 豬猪 蝦虾 葉叶 純纯 淨净 \
潔洁 環环 衛卫 傳传 統统 創创 戶户 燈灯 熱热 涼凉 溫温 濃浓 瘋疯 雙双 強强 壯壮 \
腦脑 癢痒 舊旧 軟软 彈弹 鬆松 緊紧 減减 輕轻 膚肤 皺皱 紋纹 癒愈 鐵铁 鋼钢 鏈链 \
類类 紀纪 錄录 鐘钟 響响 歡欢 樂乐 層层 擔担 憂忧 慮虑 識识 隨随 盤盘 禮礼 順顺 \
賬账 帳账 匯汇 \
穩稳 廠厂 軍军 務务 總总 鑒鉴 劃划 觀观 眾众 漲涨 計计 讚赞 衝冲 擊击 壞坏 損损 購购 場场 寶宝 貝贝 親亲 媽妈 爺爷 廚厨 鍋锅 誇夸 騙骗 偽伪 膿脓 癮瘾 濟济 藝艺 術术 審审 盡尽 狀状 態态 負负 債债 資资 賽赛 腳脚 戲戏 歸归 蓋盖 織织 產产 龍龙 鳳凤 貴贵 舉举 構构 輪轮 齡龄 參参 結结 處处 歐欧 臺台 灣湾 紅红 勵励 饋馈 額额 優优 選选 摯挚 誠诚 閃闪 購购 團团 隊队 蕞最 薦荐 議议 騰腾 滷卤 醬酱 餅饼 糧粮 穀谷 粵粤 僑侨 熱热";

fn simplify(ch: char) -> char {
    static TABLE: OnceLock<Vec<(char, char)>> = OnceLock::new();
    if ch.is_ascii() {
        return ch;
    }
    let table = TABLE.get_or_init(|| {
        let mut pairs: Vec<(char, char)> = TRAD_SIMP
            .split_whitespace()
            .filter_map(|pair| {
                let mut chars = pair.chars();
                Some((chars.next()?, chars.next()?))
            })
            .collect();
        pairs.sort_unstable();
        pairs.dedup_by_key(|pair| pair.0);
        pairs
    });
    match table.binary_search_by_key(&ch, |pair| pair.0) {
        Ok(idx) => table[idx].1,
        Err(_) => ch,
    }
}

#[cfg(test)]
mod tests {
    /// The shortcut for Chinese-only phrases folds as the full folding does, character by
    /// character and in runs.
    #[test]
    fn chinese_only_phrases_fold_as_the_full_folding_does() {
        let full = |input: &str| {
            let mut folded = Folded::default();
            folded.fold(input, 0);
            folded.text
        };
        let all: Vec<char> = ('\u{3400}'..='\u{4DBF}').chain('\u{4E00}'..='\u{9FFF}').collect();
        for chunk in all.chunks(7) {
            let text: String = chunk.iter().collect();
            assert_eq!(fold(&text), full(&text), "{text}");
        }
        assert_eq!(fold("國家級認證"), full("國家級認證"));
    }

    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(fold(input), expected, "folding {input:?}");
    }

    #[test]
    fn evasions_fold_to_the_plain_word() {
        let table = [
            ("全网最低价", "全网最低价"),
            ("最·低·价", "最低价"),
            ("第 一", "第一"),
            ("全\u{200B}网", "全网"),
            ("最🔥低🔥价", "最低价"),
            ("最低價", "最低价"),
            ("ＮＯ．１", "no 1"),
            ("No.1", "no 1"),
            ("B E S T", "best"),
            ("the B-E-S-T price", "the best price"),
            ("a best deal", "a best deal"),
            ("原价：199元", "原价|199元"),
            ("10,000 people", "10000 people"),
            ("￥19.9", "¥19.9"),
            ("  最好吃！！ ", "最好吃"),
            ("bеst", "best"),
            ("café", "cafe"),
            // A compatibility character that decomposes into several parts folds as they do.
            ("0‥0", "0|0"),
        ];
        for (input, expected) in table {
            check(input, expected);
        }
    }

    #[test]
    fn spans_map_back_over_dropped_characters() {
        let mut folded = Folded::default();
        let input = "今天最·低·价";
        folded.fold(input, 0);
        let start = folded.text.find("最低价").unwrap();
        let (s, e) = folded.original_range(start, start + "最低价".len());
        assert_eq!(&input[s as usize..e as usize], "最·低·价");
    }

    #[test]
    fn simplified_forms_are_not_keys() {
        let pairs: Vec<Vec<char>> = TRAD_SIMP
            .split_whitespace()
            .map(|p| p.chars().collect())
            .collect();
        let keys: Vec<char> = pairs.iter().map(|p| p[0]).collect();
        for pair in &pairs {
            assert_eq!(pair.len(), 2, "{pair:?} is not a pair");
            assert!(
                !keys.contains(&pair[1]),
                "{} maps to {}, which is itself mapped",
                pair[0],
                pair[1]
            );
        }
    }
}
