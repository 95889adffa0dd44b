//! A synthetic broadcast script of a given size, for benchmarks: realistic lines, most of
//! them clean, some with claims, in a fixed pseudo-random order.

const LINES: &[&str] = &[
    "家人们晚上好，欢迎来到我们的直播间，今天给大家带来的是自家果园的赣南脐橙。",
    "这批脐橙是最近三天刚摘的，果皮薄，汁水多，剥开满手都是香味。",
    "一号链接是五斤装，二号链接是十斤装，大家按自己家的人口来选。",
    "我们的橙子不打蜡、不染色，收到以后放在阴凉通风的地方就行。",
    "今天直播间活动价三十九块九，拍两件再减十块。",
    "家人们，今天全网最低价，错过今天再等一年！",
    "冷藏后口感最佳，最好三天之内吃完。",
    "这是我第一次给大家介绍我们村的蜂蜜，第一批土蜂蜜刚刚摇出来。",
    "有坏果的拍照联系客服，我们按坏果的数量给大家补发。",
    "原价一百九十九，今天只要二十九，仅剩三件了，抓紧。",
    "我们的大米是今年的新米，蒸出来软糯香甜，老人小孩都爱吃。",
    "顺丰包邮，四十八小时内发货，偏远地区除外。",
    "这款蜂蜜能治咳嗽，天天喝增强免疫力。",
    "场控帮我看一下库存，后台还有多少单。",
    "感谢家人们的支持，关注一下直播间，下次开播第一时间提醒你。",
    "下单送开果器，送完即止。",
    "我们的茶叶是高山上的明前茶，一芽一叶手工采摘。",
    "销量第一的五常大米，央视推荐过的好米。",
    "买回去以后用密封罐装好，放在避光的地方。",
    "This honey comes from our own hives in the hills, the best before date is on the lid.",
];

/// About `n_bytes` of script text (whole lines, so slightly more).
pub fn script_text(n_bytes: usize) -> String {
    let mut text = String::with_capacity(n_bytes + 256);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    while text.len() < n_bytes {
        // xorshift64: a fixed, dependency-free sequence.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        text.push_str(LINES[(state % LINES.len() as u64) as usize]);
        text.push('\n');
    }
    text
}
