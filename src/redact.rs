//! Removing obvious personal data from questions before they reach the query log.
//!
//! People type things into a chat box that they would not want kept: their e-mail address, a
//! phone number, an ID or account number. The log only needs the shape of a question to show what
//! goes unanswered, so these are replaced by a placeholder before anything is stored. The rules
//! are deliberately blunt: an address with `@` and a dotted domain, and any run of seven or more
//! digits (phone numbers with `+`, spaces, dashes, dots or brackets between the groups; ID numbers
//! ending in `X`). Years, amounts and counts (up to six digits) are kept.

/// What an e-mail address becomes (survives normalisation as one word).
pub const EMAIL: &str = "redacted-email";
/// What a long number becomes.
pub const NUMBER: &str = "redacted-number";

/// Digits a number needs to be taken for a phone, ID or account number.
const MIN_DIGITS: usize = 7;

/// `text` with e-mail addresses and long numbers replaced (see the module docs).
pub fn redact(text: &str) -> String {
    redact_numbers(&redact_emails(text))
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

fn is_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

fn redact_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = email_at(&chars, i) {
            out.push_str(EMAIL);
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The end of an e-mail address starting at `start`, if one does (and `start` begins a word).
fn email_at(chars: &[char], start: usize) -> Option<usize> {
    if !is_local(chars[start]) || (start > 0 && is_local(chars[start - 1])) {
        return None;
    }
    let at = start + chars[start..].iter().take_while(|c| is_local(**c)).count();
    if chars.get(at) != Some(&'@') {
        return None;
    }
    let mut end = at + 1 + chars[at + 1..].iter().take_while(|c| is_domain(**c)).count();
    while end > at + 1 && matches!(chars[end - 1], '.' | '-') {
        end -= 1;
    }
    let domain: String = chars[at + 1..end].iter().collect();
    let tld = domain.rsplit('.').next().unwrap_or("");
    (domain.contains('.') && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())).then_some(end)
}

fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match number_at(&chars, i) {
            Some(end) => {
                out.push_str(NUMBER);
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')')
}

/// The end of a long number starting at `start` (a digit, or `+`/`(` before one), if one does.
fn number_at(chars: &[char], start: usize) -> Option<usize> {
    if start > 0 && chars[start - 1].is_ascii_digit() {
        return None;
    }
    let mut i = start;
    if matches!(chars[i], '+' | '(') {
        i += 1;
    }
    if !chars.get(i).is_some_and(char::is_ascii_digit) {
        return None;
    }
    let (mut digits, mut end) = (0, i);
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            digits += 1;
            i += 1;
            end = i;
        } else if is_separator(c) {
            // A short run of separators between digit groups: `) `, ` - `.
            let run = chars[i..].iter().take(4).take_while(|c| is_separator(**c)).count();
            if run == 4 || !chars.get(i + run).is_some_and(char::is_ascii_digit) {
                break;
            }
            i += run;
        } else if matches!(c, 'x' | 'X')
            && digits >= MIN_DIGITS
            && !chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric)
        {
            end = i + 1;
            break;
        } else {
            break;
        }
    }
    (digits >= MIN_DIGITS).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_phones_and_id_numbers_are_replaced() {
        assert_eq!(redact("mail me at jo.doe+qa@example.co.uk please"), "mail me at redacted-email please");
        assert_eq!(redact("我的电话是13800138000,谢谢"), "我的电话是redacted-number,谢谢");
        assert_eq!(redact("call +1 (555) 010-4477 now"), "call redacted-number now");
        assert_eq!(redact("身份证 11010519491231002X 查询"), "身份证 redacted-number 查询");
        assert_eq!(redact("account 12345678901234"), "account redacted-number");
    }

    #[test]
    fn years_amounts_and_short_numbers_are_kept() {
        for kept in ["2023年投了100亿", "gpt-4 and o1", "in 2019 and 2020", "1.4 million", "a@b", "x@y.z1"] {
            assert_eq!(redact(kept), kept);
        }
    }
}
