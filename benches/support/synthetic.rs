//! A deterministic synthetic corpus of Chinese interviews, for benchmarks.
//!
//! Shared by `benches/qabot.rs` and `examples/synthetic.rs` (included with `#[path]`). The same
//! seed and size always give the same bytes: no external RNG, no hash-order dependence.
//!
//! The text imitates real interview transcripts: words drawn with a Zipf-like law from the 6,000
//! everyday words of `data/common_words.txt` plus domain terms, English terms and numbers;
//! single-character function words; sentences of 10–40 characters with Chinese punctuation;
//! questions of 20–60 characters ending in `?`; answers of 150–400 characters in 1–3 turns by
//! named speakers; 10–30 pairs per interview. Each interview has topic words and each pair a few
//! key words shared by its question and answer, so paraphrased queries have something to find.

#![allow(dead_code)]

use std::fmt::Write as _;

use qabot::transcript::{Interview, Pair, Speaker, Turn};

const COMMON_WORDS: &str = include_str!("../../data/common_words.txt");

/// Domain vocabulary of the interviews (technology, business, finance).
#[rustfmt::skip]
const DOMAIN: &[&str] = &[
    "人工智能", "算力", "芯片", "数据中心", "电力", "模型", "大模型", "智能体", "训练", "推理", "云计算",
    "基础设施", "投资", "估值", "营收", "利润", "亏损", "股权", "融资", "上市", "监管", "合规", "开源",
    "闭源", "生态", "平台", "用户", "订阅", "广告", "搜索", "半导体", "供应链", "能源", "核电", "光伏",
    "储能", "机器人", "自动驾驶", "编程", "软件", "硬件", "算法", "参数", "扩展定律", "超智能", "安全",
    "对齐", "隐私", "版权", "人才", "研发", "创业", "垄断", "合作伙伴", "董事会", "首席执行官", "市场份额",
    "毛利率", "现金流", "资本开支", "折旧", "通胀", "利率", "关税", "出口管制", "地缘政治", "全球化",
    "制造业", "就业", "生产力", "药物研发", "碳排放", "电网", "带宽", "延迟", "存储", "网络安全", "量子计算",
    "区块链", "加密货币", "消费者", "企业客户", "中小企业", "数字化", "操作系统", "浏览器", "应用商店",
    "手机", "可穿戴设备", "终端", "边缘计算", "多模态", "语音识别", "图像", "视频生成", "代码生成",
    "搜索引擎", "知识产权", "专利", "诉讼", "反垄断", "收购", "并购", "分拆", "重组", "非营利", "基金会",
    "公益", "股东", "回购", "分红", "季度", "财报", "泡沫", "护城河", "网络效应", "规模效应", "边际成本",
    "定价权", "商业模式", "变现", "渗透率", "出海", "本地化", "数据标注", "强化学习", "预训练", "微调",
    "幻觉", "评测", "开发者", "工作流", "自动化", "客服", "金融科技",
];

/// English terms as they appear inside Chinese text.
#[rustfmt::skip]
const LATIN: &[&str] = &[
    "AI", "GPU", "API", "AGI", "CPU", "TPU", "LLM", "SaaS", "Token", "Transformer", "OpenAI", "Azure",
    "ChatGPT", "Copilot", "NVIDIA", "Google", "Microsoft", "AWS", "IPO", "ROI", "B2B", "5G", "iPhone",
    "Android", "Linux", "Python", "GPT-5", "CUDA", "PC", "App",
];

/// Single-character function words, most frequent first.
#[rustfmt::skip]
const PARTICLES: &[&str] = &[
    "的", "是", "在", "了", "和", "也", "都", "就", "很", "我", "你", "他", "这", "有", "不", "会", "要",
    "能", "对", "把", "被", "从", "到", "给", "与", "更", "还", "又", "让", "而",
];

/// Sentence openers of answers.
#[rustfmt::skip]
const ANSWER_OPENERS: &[&str] = &[
    "我认为", "坦白说", "事实上", "首先", "其次", "另外", "当然", "所以", "说实话", "换句话说", "从长期看",
    "我们发现", "总的来说", "老实讲",
];

/// Question openers and closers.
#[rustfmt::skip]
const QUESTION_OPENERS: &[&str] = &[
    "你如何看待", "您怎么看", "能否谈谈", "请谈谈", "如何理解", "外界普遍关心", "很多人认为", "关于",
    "我们注意到", "你们是否担心", "您是否认为", "为什么", "你认为",
];
const QUESTION_CLOSERS: &[&str] =
    &["吗?", "?", "是什么?", "有多大?", "该怎么办?", "会如何演变?", "意味着什么?", "前景如何?", "呢?"];
const QUESTION_PREAMBLES: &[&str] = &["据报道", "有人说", "去年", "最近", "在上次采访中", "市场上"];

/// Everyday topics nobody asks an interview about, for off-topic queries.
#[rustfmt::skip]
const OFF_TOPIC: &[&str] = &[
    "天气", "电影", "菜谱", "足球", "旅游", "火锅", "小猫", "考试", "租房", "减肥", "感冒", "周末", "游戏",
    "音乐", "咖啡", "地铁", "婚礼", "孩子", "作业", "快递", "发型", "钓鱼", "爬山", "包子", "雨伞",
];
const OFF_TOPIC_OPENERS: &[&str] = &["今天", "明天", "周末", "北京", "附近", "我想知道", "请问", "怎么"];
const OFF_TOPIC_CLOSERS: &[&str] = &["怎么样?", "好吗?", "哪里有?", "多少钱?", "怎么做?", "推荐一下"];

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤";
const GIVEN: &str =
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红建文辉力林峰宇浩凯鹏飞琳晨欣怡佳思雨涵博远志国庆海波";
#[rustfmt::skip]
const FOREIGN_FIRST: &[&str] = &[
    "约翰", "迈克尔", "大卫", "詹姆斯", "罗伯特", "玛丽", "詹妮弗", "丽莎", "萨拉", "艾米丽", "马克", "彼得",
    "托马斯", "安德鲁", "丹尼尔", "凯文", "布莱恩", "史蒂夫", "里德", "埃里克", "杰夫", "拉里", "谢尔盖",
    "雪莉",
];
#[rustfmt::skip]
const FOREIGN_LAST: &[&str] = &[
    "史密斯", "约翰逊", "威廉姆斯", "布朗", "琼斯", "米勒", "戴维斯", "加西亚", "威尔逊", "安德森", "泰勒",
    "摩尔", "杰克逊", "马丁", "怀特", "哈里斯", "克拉克", "刘易斯", "罗宾逊", "沃克", "霍尔", "艾伦", "赖特",
    "斯科特", "格林", "贝克", "亚当斯", "纳尔逊", "坎贝尔", "米切尔", "罗伯茨", "卡特", "菲利普斯", "埃文斯",
];

/// SplitMix64: small, fast, good enough for test data, and identical on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An independent stream derived from this one and `salt`.
    pub fn fork(&mut self, salt: u64) -> Rng {
        Rng::new(self.next_u64() ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }
}

/// Zipf–Mandelbrot sampling over ranks `0..n`: P(r) ∝ 1 / (r + q)^s.
#[derive(Debug, Clone)]
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64, q: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for r in 0..n {
            total += 1.0 / (r as f64 + q).powf(s);
            cdf.push(total);
        }
        cdf.iter_mut().for_each(|c| *c /= total);
        Zipf { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

/// The word list, ranked by frequency: everyday words with domain and English terms mixed in.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    words: Vec<&'static str>,
    zipf: Zipf,
    particles: Zipf,
    /// Ranks of the domain and English terms.
    domain: Vec<usize>,
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary::new()
    }
}

impl Vocabulary {
    pub fn new() -> Vocabulary {
        let common: Vec<&'static str> =
            COMMON_WORDS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        let mut words: Vec<&'static str> = Vec::with_capacity(common.len() + DOMAIN.len() + LATIN.len());
        // Domain terms are spread from rank 40 on (every 25th rank), English terms every 60th from
        // rank 80: frequent enough to recur, rare enough to discriminate.
        let mut special: Vec<(usize, &'static str)> = Vec::new();
        special.extend(DOMAIN.iter().enumerate().map(|(i, w)| (40 + i * 25, *w)));
        special.extend(LATIN.iter().enumerate().map(|(i, w)| (80 + i * 60 + 1, *w)));
        special.sort_unstable();
        let mut special = special.into_iter().peekable();
        let mut domain = Vec::new();
        for word in common {
            while let Some(&(rank, w)) = special.peek() {
                if rank > words.len() {
                    break;
                }
                domain.push(words.len());
                words.push(w);
                special.next();
            }
            // Off-topic words never occur in the interviews; domain words are placed above.
            if !DOMAIN.contains(&word) && !OFF_TOPIC.contains(&word) {
                words.push(word);
            }
        }
        for (_, w) in special {
            domain.push(words.len());
            words.push(w);
        }
        let zipf = Zipf::new(words.len(), 1.0, 2.7);
        Vocabulary { words, zipf, particles: Zipf::new(PARTICLES.len(), 1.0, 1.5), domain }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn word(&self, rank: usize) -> &'static str {
        self.words[rank]
    }

    fn zipf_word(&self, rng: &mut Rng) -> &'static str {
        self.words[self.zipf.sample(rng)]
    }

    fn particle(&self, rng: &mut Rng) -> &'static str {
        PARTICLES[self.particles.sample(rng)]
    }

    /// A word of middling frequency (ranks 300 on, uniformly): specific enough to be a key word.
    fn specific(&self, rng: &mut Rng) -> &'static str {
        self.words[rng.range(300, self.words.len() - 1)]
    }

    fn domain_word(&self, rng: &mut Rng) -> &'static str {
        self.words[*rng.pick(&self.domain)]
    }
}

fn number(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("{}亿美元", rng.range(1, 2000)),
        1 => format!("{}年", rng.range(1995, 2035)),
        2 => format!("{}%", rng.range(1, 99)),
        3 => format!("{}倍", rng.range(2, 100)),
        4 => format!("{}万", rng.range(1, 9999)),
        _ => format!("第{}季度", rng.range(1, 4)),
    }
}

fn is_latin(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_alphabetic())
}

/// Text under construction: spaces around Latin words, none around Chinese punctuation.
#[derive(Default)]
struct Text {
    buf: String,
    chars: usize,
    latin_last: bool,
    punct_last: bool,
}

impl Text {
    fn word(&mut self, w: &str) {
        if w.is_empty() {
            return;
        }
        let latin = is_latin(w);
        if (latin || self.latin_last) && !self.buf.is_empty() && !self.punct_last {
            self.buf.push(' ');
            self.chars += 1;
        }
        self.buf.push_str(w);
        self.chars += w.chars().count();
        self.latin_last = latin;
        self.punct_last = false;
    }

    fn punct(&mut self, p: &str) {
        self.buf.push_str(p);
        self.chars += p.chars().count();
        self.latin_last = false;
        self.punct_last = true;
    }
}

/// What a sentence talks about.
struct Context<'a> {
    topic: &'a [&'static str],
    keys: &'a [&'static str],
    key_share: f64,
}

impl Context<'_> {
    fn token(&self, vocab: &Vocabulary, rng: &mut Rng) -> String {
        let r = rng.unit();
        let k = self.key_share;
        if r < k && !self.keys.is_empty() {
            rng.pick(self.keys).to_string()
        } else if r < k + 0.08 && !self.topic.is_empty() {
            rng.pick(self.topic).to_string()
        } else if r < k + 0.36 {
            vocab.particle(rng).to_owned()
        } else if r < k + 0.38 {
            number(rng)
        } else {
            vocab.zipf_word(rng).to_owned()
        }
    }
}

/// A sentence of about `len` characters, commas every 6–16 characters, ended by `end`.
fn sentence(vocab: &Vocabulary, rng: &mut Rng, ctx: &Context<'_>, len: usize, end: &str) -> String {
    let mut text = Text::default();
    if rng.chance(0.25) {
        text.word(rng.pick_str(ANSWER_OPENERS));
        text.punct(",");
    }
    let mut clause = rng.range(6, 16);
    let mut since_comma = 0;
    while text.chars < len {
        let before = text.chars;
        let mut token = ctx.token(vocab, rng);
        // Clauses do not open with a particle.
        while text.punct_last || text.buf.is_empty() {
            if !PARTICLES.contains(&token.as_str()) {
                break;
            }
            token = ctx.token(vocab, rng);
        }
        text.word(&token);
        since_comma += text.chars - before;
        if since_comma >= clause && text.chars + 4 < len {
            text.punct(",");
            since_comma = 0;
            clause = rng.range(6, 16);
        }
    }
    text.punct(end);
    text.buf
}

fn sentence_end(rng: &mut Rng) -> &'static str {
    match rng.below(20) {
        0 => "!",
        1 => "……",
        _ => "。",
    }
}

/// How lines of web-page furniture start (`收藏`, `举报`, …): transcript parsers drop short
/// paragraphs that open like this (or hold a [`FURNITURE_PHRASES`] notice), so generated
/// paragraphs never do, and the text and JSONL forms hold exactly the same content.
#[rustfmt::skip]
const FURNITURE_OPENINGS: &[&str] = &[
    "当前位置", "您的位置", "你的位置", "责任编辑", "编辑", "校对", "审核", "版权", "免责", "原标题", "本文",
    "文章来源", "来源", "分享", "扫码", "扫描", "关注", "点击", "阅读", "点赞", "收藏", "举报", "返回",
    "图片", "图源", "图注", "题图", "头图", "图为", "相关", "推荐", "延伸", "热门", "猜你", "上一篇", "下一篇",
];

/// Phrases that make a short paragraph a copyright notice to transcript parsers.
const FURNITURE_PHRASES: &[&str] = &["版权所有", "转载请注明", "未经授权", "禁止转载"];

/// A paragraph of sentences totalling about `len` characters.
fn paragraph(vocab: &Vocabulary, rng: &mut Rng, ctx: &Context<'_>, len: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    while chars < len {
        let want = rng.range(10, 40).min((len - chars).max(10));
        let end = sentence_end(rng);
        let mut s = sentence(vocab, rng, ctx, want.saturating_sub(1).max(8), end);
        while (out.is_empty() && FURNITURE_OPENINGS.iter().any(|f| s.starts_with(f)))
            || FURNITURE_PHRASES.iter().any(|f| s.contains(f))
        {
            s = sentence(vocab, rng, ctx, want.saturating_sub(1).max(8), end);
        }
        chars += s.chars().count();
        out.push_str(&s);
    }
    out
}

/// One generated interview, with what queries need to know about each question.
#[derive(Debug, Clone)]
pub struct Generated {
    pub interview: Interview,
    /// Per pair: the question's content words in order (opener and closer left out).
    pub question_words: Vec<Vec<String>>,
    /// Per pair: the key words its question and answer share.
    pub keys: Vec<Vec<&'static str>>,
}

impl Generated {
    /// The identity the loader gives the interview.
    pub fn slug(&self) -> &str {
        self.interview.slug.as_deref().unwrap_or("")
    }
}

/// A question person: name and, for some, a short alias.
#[derive(Debug, Clone)]
struct Person {
    name: String,
    alias: Option<String>,
}

fn people(rng: &mut Rng, n: usize) -> Vec<Person> {
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let given: Vec<char> = GIVEN.chars().collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let person = if rng.chance(0.3) {
            let last = rng.pick_str(FOREIGN_LAST);
            Person { name: format!("{}·{}", rng.pick_str(FOREIGN_FIRST), last), alias: Some(last.to_owned()) }
        } else {
            let mut name = String::new();
            name.push(*rng.pick(&surnames));
            for _ in 0..rng.range(1, 2) {
                name.push(*rng.pick(&given));
            }
            Person { name, alias: None }
        };
        if seen.insert(person.name.clone()) {
            out.push(person);
        }
    }
    // An alias shared by two people would merge them: keep only unique ones.
    let mut counts = std::collections::BTreeMap::new();
    for p in &out {
        if let Some(a) = &p.alias {
            *counts.entry(a.clone()).or_insert(0) += 1;
        }
    }
    for p in &mut out {
        if p.alias.as_ref().is_some_and(|a| counts[a] > 1 || seen.contains(a)) {
            p.alias = None;
        }
    }
    out
}

/// Generate interviews holding `pairs` question/answer pairs in total.
pub fn generate(pairs: usize, seed: u64) -> Vec<Generated> {
    let vocab = Vocabulary::new();
    let mut rng = Rng::new(seed);
    let guests = people(&mut rng, 400);
    let hosts = people(&mut rng, 60);
    let guest_zipf = Zipf::new(guests.len(), 0.8, 3.0);
    let mut out = Vec::new();
    let mut left = pairs;
    let mut index = 0;
    while left > 0 {
        let n = rng.range(10, 30).min(left);
        let mut irng = rng.fork(index as u64);
        out.push(interview(&vocab, &mut irng, seed, index, n, &guests, &guest_zipf, &hosts));
        left -= n;
        index += 1;
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn interview(
    vocab: &Vocabulary,
    rng: &mut Rng,
    seed: u64,
    index: usize,
    pairs: usize,
    guests: &[Person],
    guest_zipf: &Zipf,
    hosts: &[Person],
) -> Generated {
    let want_speakers = match rng.below(10) {
        0 => 3,
        1..=3 => 2,
        _ => 1,
    };
    let want_speakers = want_speakers.min(pairs);
    let mut speakers: Vec<&Person> = Vec::new();
    while speakers.len() < want_speakers {
        let p = &guests[guest_zipf.sample(rng)];
        if !speakers.iter().any(|s| s.name == p.name) {
            speakers.push(p);
        }
    }
    let host = rng.pick(hosts);
    let topic: Vec<&'static str> = (0..rng.range(6, 12))
        .map(|_| if rng.chance(0.6) { vocab.domain_word(rng) } else { vocab.specific(rng) })
        .collect();
    let names: Vec<&str> = speakers.iter().map(|s| s.name.as_str()).collect();
    let title = match rng.below(3) {
        0 => format!("{}谈{}、{}与{}", names[0], topic[0], topic[1], topic[2]),
        1 => format!("{}的未来——对话{}", topic[0], names.join("和")),
        _ => format!(
            "专访{}{}:{}与{}",
            rng.pick_str(&["", "首席执行官", "创始人", "董事长"]),
            names[0],
            topic[1],
            topic[2]
        ),
    };
    let intro = Context { topic: &topic, keys: &[], key_share: 0.0 };
    let mut notes = Vec::new();
    for i in 0..rng.range(1, 3) {
        let mut note = String::new();
        if i == 0 {
            note.push_str(&format!("近日,{}接受了{}的专访。", names.join("与"), host.name));
        }
        let len = rng.range(50, 150);
        note.push_str(&paragraph(vocab, rng, &intro, len));
        notes.push(note);
    }
    let mut out_pairs = Vec::with_capacity(pairs);
    let mut question_words = Vec::with_capacity(pairs);
    let mut keys_all = Vec::with_capacity(pairs);
    for p in 0..pairs {
        let keys: Vec<&'static str> = (0..rng.range(2, 4))
            .map(|_| if rng.chance(0.3) { *rng.pick(&topic) } else { vocab.specific(rng) })
            .collect();
        let (question, words) = question(vocab, rng, &topic, &keys);
        // Every speaker opens at least one answer (so transcript parsers see them as speakers).
        let first = if p < speakers.len() {
            p
        } else if rng.chance(0.7) {
            0
        } else {
            rng.below(speakers.len())
        };
        let turn_count = match rng.below(10) {
            0 => 3,
            1..=3 => 2,
            _ => 1,
        }
        .min(if speakers.len() > 1 { 3 } else { 1 });
        let total = rng.range(150, 400);
        let ctx = Context { topic: &topic, keys: &keys, key_share: 0.07 };
        let mut turns = Vec::with_capacity(turn_count);
        let mut speaker = first;
        for t in 0..turn_count {
            if t > 0 {
                speaker = (speaker + 1 + rng.below(speakers.len() - 1)) % speakers.len();
            }
            let len = total / turn_count;
            let paragraphs = if len > 120 { rng.range(1, 3) } else { 1 };
            let text: Vec<String> =
                (0..paragraphs).map(|_| paragraph(vocab, rng, &ctx, (len / paragraphs).max(20))).collect();
            turns.push(Turn { speaker: speakers[speaker].name.clone(), text: text.join("\n") });
        }
        out_pairs.push(Pair { question, alternates: Vec::new(), turns, line: None });
        question_words.push(words);
        keys_all.push(keys);
    }
    let interview = Interview {
        title,
        slug: Some(format!("synthetic-{seed}-{index:06}")),
        source: Some(format!("https://example.com/interviews/{seed}/{index}")),
        date: Some(format!("20{:02}-{:02}-{:02}", rng.range(15, 25), rng.range(1, 12), rng.range(1, 28))),
        interviewer: Some(host.name.clone()),
        notes,
        speakers: speakers
            .iter()
            .map(|s| Speaker { name: s.name.clone(), aliases: s.alias.iter().cloned().collect() })
            .collect(),
        pairs: out_pairs,
    };
    Generated { interview, question_words, keys: keys_all }
}

/// A question of 20–60 characters holding the key words; returns it with its content words.
fn question(vocab: &Vocabulary, rng: &mut Rng, topic: &[&'static str], keys: &[&'static str]) -> (String, Vec<String>) {
    let target = rng.range(20, 60);
    let mut text = Text::default();
    if rng.chance(0.25) {
        text.word(rng.pick_str(QUESTION_PREAMBLES));
        text.punct(",");
        let ctx = Context { topic, keys: &[], key_share: 0.0 };
        while text.chars < 10 {
            text.word(&ctx.token(vocab, rng));
        }
        text.punct("。");
    }
    text.word(rng.pick_str(QUESTION_OPENERS));
    let closer = rng.pick_str(QUESTION_CLOSERS);
    let body_len = target.saturating_sub(text.chars + closer.chars().count()).max(6);
    let ctx = Context { topic, keys: &[], key_share: 0.0 };
    let mut words: Vec<String> = Vec::new();
    let mut pending: Vec<&'static str> = keys.to_vec();
    let start = text.chars;
    let mut comma_at = if body_len > 20 { Some(start + rng.range(8, body_len - 6)) } else { None };
    while text.chars - start < body_len || !pending.is_empty() {
        let w = if !pending.is_empty() && rng.chance(0.4) {
            pending.remove(rng.below(pending.len())).to_owned()
        } else {
            ctx.token(vocab, rng)
        };
        text.word(&w);
        words.push(w);
        if comma_at.is_some_and(|at| text.chars >= at) {
            text.punct(",");
            comma_at = None;
        }
    }
    text.punct(closer);
    (text.buf, words)
}

/// JSONL: one interview per line (the format `qabot load` and `qabot export` use).
pub fn to_jsonl(interviews: &[Generated]) -> String {
    let mut out = String::new();
    for g in interviews {
        out.push_str(&serde_json::to_string(&g.interview).expect("interviews serialise"));
        out.push('\n');
    }
    out
}

/// Transcript text in the seed's layout: headline, intro notes, then each question paragraph
/// followed by `Name:` turns (label alone on its line or followed by the text).
pub fn to_text(interview: &Interview, seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0x7E47);
    let mut out = String::new();
    out.push_str(&interview.title);
    out.push_str("\n\n");
    for note in &interview.notes {
        out.push_str(note);
        out.push_str("\n\n");
    }
    for pair in &interview.pairs {
        out.push_str(&pair.question);
        out.push_str("\n\n");
        for turn in &pair.turns {
            let colon = if rng.chance(0.1) { ":" } else { "\u{FF1A}" };
            let mut paragraphs = turn.text.split('\n');
            let first = paragraphs.next().unwrap_or("");
            if rng.chance(0.5) {
                let _ = write!(out, "{}{colon}{first}\n\n", turn.speaker);
            } else {
                let _ = write!(out, "{}{colon}\n\n{first}\n\n", turn.speaker);
            }
            for p in paragraphs {
                out.push_str(p);
                out.push_str("\n\n");
            }
        }
    }
    out
}

/// A question to ask the bot, and the pair it is about (`None`: off topic).
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    /// (interview slug, 1-based pair position) of the pair a good matcher returns.
    pub target: Option<(String, usize)>,
    /// How the query was made: `paraphrase`, `verbatim`, `answer` (about something said in the
    /// answer) or `off-topic`.
    pub kind: &'static str,
}

/// `n` queries over a generated corpus: 50% paraphrases of stored questions (words dropped,
/// substituted and swapped, a colloquial frame, punctuation gone), 10% verbatim questions, 20%
/// about something said in an answer (often naming the speaker), 20% off topic.
pub fn queries(corpus: &[Generated], n: usize, seed: u64) -> Vec<Query> {
    let vocab = Vocabulary::new();
    let mut rng = Rng::new(seed ^ 0x51E5);
    let total: usize = corpus.iter().map(|g| g.interview.pairs.len()).sum();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let kind = rng.below(10);
        if kind >= 8 || total == 0 {
            out.push(Query { text: off_topic(&vocab, &mut rng), target: None, kind: "off-topic" });
            continue;
        }
        // A uniformly chosen pair.
        let mut k = rng.below(total);
        let mut g = &corpus[0];
        for candidate in corpus {
            g = candidate;
            if k < candidate.interview.pairs.len() {
                break;
            }
            k -= candidate.interview.pairs.len();
        }
        let target = Some((g.slug().to_owned(), k + 1));
        let pair = &g.interview.pairs[k];
        let (text, kind) = match kind {
            5 => (pair.question.clone(), "verbatim"),
            6 | 7 => (about_answer(&mut rng, pair, &g.keys[k]), "answer"),
            _ => (paraphrase(&vocab, &mut rng, &g.question_words[k], &g.keys[k]), "paraphrase"),
        };
        out.push(Query { text, target, kind });
    }
    out
}

/// Keep roughly half of the words (at least one key word), substitute and swap some, add a
/// colloquial frame.
fn paraphrase(vocab: &Vocabulary, rng: &mut Rng, words: &[String], keys: &[&'static str]) -> String {
    let mut kept: Vec<String> = Vec::new();
    let mut key_kept = false;
    for w in words {
        let r = rng.unit();
        if r < 0.4 {
            continue;
        }
        if r < 0.55 {
            kept.push(vocab.zipf_word(rng).to_owned());
            continue;
        }
        key_kept |= keys.contains(&w.as_str());
        kept.push(w.clone());
    }
    if !key_kept {
        if let Some(k) = keys.first() {
            kept.insert(rng.below(kept.len() + 1), (*k).to_owned());
        }
    }
    for i in 1..kept.len() {
        if rng.chance(0.2) {
            kept.swap(i - 1, i);
        }
    }
    let mut text = Text::default();
    text.word(rng.pick_str(&["", "请问", "想知道", "你说", "那么", "", "聊聊"]));
    for w in &kept {
        text.word(w);
    }
    text.punct(rng.pick_str(&["?", "吗", "呢?", "", "?", "怎么样"]));
    text.buf.trim().to_owned()
}

/// A question about a clause of the answer, with a key word of the pair and often the speaker.
fn about_answer(rng: &mut Rng, pair: &Pair, keys: &[&'static str]) -> String {
    let turn = rng.pick(&pair.turns);
    let clauses: Vec<&str> =
        turn.text.split(['。', '!', ',', '…', '\n']).map(str::trim).filter(|c| c.chars().count() >= 6).collect();
    let clause: Vec<char> = clauses.get(rng.below(clauses.len().max(1))).copied().unwrap_or("").chars().collect();
    let len = rng.range(6, 12).min(clause.len());
    let start = rng.below(clause.len() - len + 1);
    let window: String = clause[start..start + len].iter().collect::<String>().trim().to_owned();
    let key = rng.pick_str(keys);
    let key = if window.contains(key) { "" } else { key };
    match rng.below(4) {
        0 => format!("{}怎么看{key}{window}?", turn.speaker),
        1 => format!("{}说过{key}{window}吗", turn.speaker),
        2 => format!("关于{key},谁提到{window}"),
        _ => format!("{key}{window}是什么意思?"),
    }
}

fn off_topic(vocab: &Vocabulary, rng: &mut Rng) -> String {
    let mut text = Text::default();
    text.word(rng.pick_str(OFF_TOPIC_OPENERS));
    for _ in 0..rng.range(1, 3) {
        if rng.chance(0.5) {
            text.word(vocab.particle(rng));
        }
        text.word(if rng.chance(0.6) { rng.pick_str(OFF_TOPIC) } else { vocab.word(rng.below(1500)) });
    }
    text.word(rng.pick_str(OFF_TOPIC));
    text.punct(rng.pick_str(OFF_TOPIC_CLOSERS));
    text.buf
}

/// Queries about a real interview (the bundled seed), whose questions have no word list:
/// paraphrased by dropping and replacing character spans, plus off-topic queries (20%).
pub fn text_queries(interview: &Interview, slug: &str, n: usize, seed: u64) -> Vec<Query> {
    let vocab = Vocabulary::new();
    let mut rng = Rng::new(seed ^ 0x5EED);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        if rng.below(10) >= 8 {
            out.push(Query { text: off_topic(&vocab, &mut rng), target: None, kind: "off-topic" });
            continue;
        }
        let k = rng.below(interview.pairs.len());
        let mut chars: Vec<char> = interview.pairs[k].question.chars().filter(|c| !",。?!、“”".contains(*c)).collect();
        for _ in 0..rng.range(1, 3) {
            if chars.len() > 12 {
                let at = rng.below(chars.len() - 4);
                let len = rng.range(1, 4);
                let replacement: Vec<char> =
                    if rng.chance(0.4) { vocab.zipf_word(&mut rng).chars().collect() } else { Vec::new() };
                chars.splice(at..at + len, replacement);
            }
        }
        // Long questions are asked shorter: keep a window of at most 30 characters.
        if chars.len() > 30 {
            let start = rng.below(chars.len() - 30);
            chars = chars[start..start + 30].to_vec();
        }
        let target = Some((slug.to_owned(), k + 1));
        out.push(Query { text: chars.into_iter().collect(), target, kind: "paraphrase" });
    }
    out
}
