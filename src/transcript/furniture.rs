//! Page furniture: the parts of a saved web page or export that are not the interview.
//!
//! Navigation (`当前位置:首页 > 科技 > 正文`, `首页 | 新闻 | 财经`), bylines
//! (`2024-05-12 10:30 来源:…`), image captions (`… 第1张`, `图为…`, `▲ …`), end marks (`(完)`),
//! footers (`责任编辑:…`, copyright lines) and, from a footer heading such as `相关阅读` on, the
//! rest of the page.

use super::{fold_str, text::ends_sentence};

/// Footer headings: everything from here to the end of the file is page furniture.
const FOOTER_HEADINGS: &[&str] = &[
    "相关阅读",
    "推荐阅读",
    "相关文章",
    "相关推荐",
    "延伸阅读",
    "热门推荐",
    "热门文章",
    "猜你喜欢",
    "上一篇",
    "下一篇",
    "相关新闻",
    "related articles",
    "read more",
    "related posts",
    "related stories",
    "more from",
];

/// Single lines of page furniture, recognised by how they start (after any opening bracket):
/// labels such as `责任编辑:` that a sentence would not start with. Lines up to 80 characters.
const PREFIXES: &[&str] = &[
    "当前位置",
    "您的位置",
    "你的位置",
    "您现在的位置",
    "责任编辑",
    "编辑:",
    "校对:",
    "审核:",
    "版权声明",
    "免责声明",
    "原标题",
    "本文来源",
    "文章来源",
    "来源:",
    "图片来源",
    "图源:",
    "题图",
    "头图",
    "©",
    "copyright",
    "photo:",
    "image:",
    "photograph:",
    "photo credit",
    "(c) ",
];

/// Buttons and calls to action (`点赞 收藏 举报`, `分享到:微信`): only short lines that are not
/// sentences, so that `收藏品市场今年很热。` stays.
const BUTTONS: &[&str] = &[
    "分享到",
    "扫码",
    "扫描二维码",
    "关注公众号",
    "点击阅读原文",
    "阅读原文",
    "点赞",
    "收藏",
    "举报",
    "返回顶部",
    "返回首页",
    "share this",
    "advertisement",
    "sign up for",
    "subscribe to",
    "back to top",
    "this video can not be played",
    "this video cannot be played",
    "media caption",
];

/// How image captions start; lines up to 60 characters.
const CAPTIONS: &[&str] = &["图为", "▲", "△"];

/// Phrases that make a short line a copyright or reprint notice wherever they appear.
const NOTICES: &[&str] = &["版权所有", "all rights reserved", "转载请注明", "未经授权", "禁止转载"];

/// End-of-article marks, compared without spaces.
const END_MARKS: &[&str] = &["(完)", "[完]", "【完】", "(全文完)", "(本文完)", "-end-", "--end--", "—end—", "——end——"];

/// Prefixes of a publication line whose date the interview may take.
const DATE_PREFIXES: &[&str] =
    &["发布时间", "发布日期", "发表时间", "发表于", "发布于", "更新时间", "日期", "published", "updated", "posted"];

/// Whether `text` (a cleaned line) starts the page footer: nothing after it is content.
pub(crate) fn is_footer_heading(text: &str) -> bool {
    if text.len() > 96 {
        return false;
    }
    let t = fold_str(text).trim_end_matches(':').trim().to_lowercase();
    FOOTER_HEADINGS.iter().any(|h| t.starts_with(h) && t.chars().count() <= h.chars().count() + 6)
}

/// Whether a single line is page furniture (navigation, caption, footer, notice).
pub(crate) fn is_furniture(text: &str) -> bool {
    // Furniture is short; a long paragraph can only be a caption.
    if text.len() > 80 * 4 || text.chars().count() > 80 {
        return is_caption(text);
    }
    let lower = fold_str(text).to_lowercase();
    let chars = text.chars().count();
    let unbracketed = lower.trim_start_matches(['[', '(', '【', '〖']).trim_start();
    let starts = |list: &[&str]| list.iter().any(|p| lower.starts_with(p) || unbracketed.starts_with(p));
    let sentence = lower.trim_end().ends_with(['.', '。', '?']);
    if starts(PREFIXES)
        || (chars <= 30 && !sentence && starts(BUTTONS))
        || (chars <= 60 && starts(CAPTIONS))
        || (chars <= 60 && NOTICES.iter().any(|n| lower.contains(n)))
    {
        return true;
    }
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    // Rules (`.......`, `———`), lists of years (`1994 1995 1997`) and a lone `top` link.
    let wordless = !lower.chars().any(|c| c.is_alphabetic());
    if END_MARKS.contains(&compact.as_str()) || wordless || compact == "top" {
        return true;
    }
    // Breadcrumbs `首页 > 科技 > 正文` and menus `首页 | 新闻 | 财经 | 登录`.
    let menu = lower.matches(['>', '»']).count() >= 2 || lower.matches('|').count() >= 3;
    if chars <= 60 && menu && !ends_sentence(text) && !lower.contains(',') {
        return true;
    }
    is_caption(text)
}

/// Image captions such as `… 第1张` or `(图:…)`.
fn is_caption(text: &str) -> bool {
    let t = text.trim_end();
    if let Some(before) = t.strip_suffix('张') {
        let digits = before.trim_end_matches(|c: char| c.is_ascii_digit());
        if digits.len() < before.len() && digits.trim_end().ends_with('第') {
            return true;
        }
    }
    let head: String = t.chars().take(3).map(super::ascii_fold).collect();
    head.starts_with("(图") || head.starts_with("[图") || head.starts_with("图注")
}

/// A byline or date stamp (`2024-05-12 10:30 来源:…`, `发布时间:2024年5月12日`): the date it
/// carries as `YYYY-MM-DD`. Such a line is furniture; its date can date the interview.
pub(crate) fn byline_date(text: &str) -> Option<String> {
    if text.len() > 80 * 4 || !text.trim_start().starts_with(|c: char| c.is_ascii_digit() || c.is_alphabetic()) {
        return None;
    }
    let folded = fold_str(text);
    let t = folded.trim();
    if t.chars().count() > 80 || ends_sentence(t) {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let rest = DATE_PREFIXES
        .iter()
        .find_map(|p| lower.strip_prefix(p).map(|r| r.trim_start_matches([':', ' ']).trim_start()))
        .unwrap_or(&lower);
    leading_date(rest)
}

/// `2024-05-12`, `2024/5/12`, `2024.05.12` or `2024年5月12日` at the start of `text`.
fn leading_date(text: &str) -> Option<String> {
    let mut numbers = [0u32; 3];
    let mut rest = text;
    for (i, number) in numbers.iter_mut().enumerate() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let wanted = if i == 0 { 4..=4 } else { 1..=2 };
        if !wanted.contains(&digits) {
            return None;
        }
        *number = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let separators: &[&str] = match i {
            0 => &["-", "/", ".", "年"],
            1 => &["-", "/", ".", "月"],
            _ => &["日", ""],
        };
        let sep = separators.iter().find(|s| rest.starts_with(**s))?;
        rest = &rest[sep.len()..];
    }
    let [year, month, day] = numbers;
    ((1900..=2200).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn furniture_lines() {
        assert!(is_furniture("当前位置:首页 > 科技资讯 > 正文"));
        assert!(is_furniture("首页 | 新闻 | 科技 | 财经 | 登录"));
        assert!(is_furniture("OpenAI资本重组 微软战略合作 第1张"));
        assert!(is_furniture("责任编辑:张三"));
        assert!(is_furniture("【免责声明】本文仅代表作者观点"));
        assert!(is_furniture("(完)"));
        assert!(is_furniture("Copyright \u{A9} 2024 Example Media All Rights Reserved"));
        assert!(is_furniture("\u{A9} 2024 示例网 版权所有"));
        assert!(is_furniture("点赞 收藏 举报"));
        assert!(is_furniture("分享到:微信 微博 QQ空间"));
        assert!(is_furniture("图为李建国(左)与王芳(右)在录制现场。"));
        assert!(!is_furniture("OpenAI 员工的平均年龄是多少?"));
        assert!(!is_furniture("收藏品市场今年很热。"), "a sentence that starts like a button");
        assert!(!is_furniture("举报制度我们去年就建立了,效果很好。"));
        assert!(!is_furniture("校对工作占了编辑部一半的时间。"));
        assert!(!is_furniture("我们的收入结构是 A | B | C | D 四块,各占四分之一,这是去年的数字。"));
    }

    #[test]
    fn footer_headings() {
        assert!(is_footer_heading("相关阅读"));
        assert!(is_footer_heading("Related articles:"));
        assert!(!is_footer_heading("相关阅读材料我们都放在附录里了,欢迎大家查看。"));
    }

    #[test]
    fn bylines_carry_a_date() {
        assert_eq!(byline_date("2024-05-12 10:30  来源:示例财经网").as_deref(), Some("2024-05-12"));
        assert_eq!(byline_date("发布时间:2024年5月2日 09:00").as_deref(), Some("2024-05-02"));
        assert_eq!(byline_date("Published 2025/3/4").as_deref(), Some("2025-03-04"));
        assert_eq!(byline_date("2024年5月12日,我们在上海见到了他。"), None, "a sentence, not a byline");
        assert_eq!(byline_date("2019年,何静发起了夜跑团"), None);
        assert_eq!(byline_date("2024-13-01"), None);
    }
}
