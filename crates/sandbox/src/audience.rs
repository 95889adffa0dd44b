//! The simulated audience of a live broadcast.
//!
//! [`step`] is a pure function of the audience's state (which holds its own random
//! generator) and of what the room shows: the bag, the pinned product and its live
//! price. The same seed and the same room give the same viewers, comments, likes and
//! orders, so a course's practice run and a test can be replayed exactly.

use serde::{Deserialize, Serialize};

/// SplitMix64: tiny, fast and the same on every platform and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A stable 64-bit hash (FNV-1a) used to derive per-broadcast seeds.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ byte as u64).wrapping_mul(0x0000_0100_0000_01B3))
}

/// The audience of one broadcast, persisted between ticks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audience {
    /// The random generator.
    pub rng: Rng,
    /// Steps taken.
    pub tick: u64,
    /// Viewers in the room.
    pub online: i32,
    /// Most viewers at once.
    pub peak: i32,
    /// Arrivals in total.
    pub total: i32,
}

impl Audience {
    /// A new, empty room for `broadcast_id` under the sandbox's `seed`.
    pub fn new(seed: u64, broadcast_id: &str) -> Audience {
        Audience { rng: Rng(seed ^ stable_hash(broadcast_id)), tick: 0, online: 0, peak: 0, total: 0 }
    }
}

/// A product as the audience sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// SKU.
    pub sku: String,
    /// Title.
    pub title: String,
    /// Everyday price in fen.
    pub price_fen: i64,
    /// Live price in fen.
    pub live_price_fen: i64,
    /// Units left.
    pub available: i64,
}

/// A coupon viewers can still claim.
#[derive(Debug, Clone, PartialEq)]
pub struct CouponOffer {
    /// Coupon id.
    pub id: String,
    /// Discount in fen.
    pub discount_fen: i64,
    /// Minimum order amount in fen.
    pub threshold_fen: i64,
    /// Coupons left.
    pub remaining: i32,
    /// The SKU it is restricted to.
    pub sku: Option<String>,
}

/// What the room shows now.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Room {
    /// Products in the bag, in order.
    pub bag: Vec<Offer>,
    /// The SKU on air.
    pub pinned: Option<String>,
    /// Coupons of the broadcast, in creation order.
    pub coupons: Vec<CouponOffer>,
}

/// What the audience did in one step.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    /// Viewer counts changed.
    Viewers {
        /// In the room now.
        online: i32,
        /// Arrived this step.
        entered: i32,
        /// Left this step.
        left: i32,
    },
    /// A comment.
    Comment {
        /// Nickname.
        user: String,
        /// Text.
        text: String,
    },
    /// Likes.
    Like {
        /// How many.
        count: i32,
    },
    /// An order.
    Order {
        /// Order id, unique per broadcast.
        order_id: String,
        /// Buyer nickname.
        buyer: String,
        /// SKU.
        sku: String,
        /// Units.
        quantity: i32,
        /// Amount in fen, after the coupon.
        amount_fen: i64,
        /// The coupon used.
        coupon_id: Option<String>,
    },
}

const NICKNAMES: &[&str] = &["橙子妈妈", "阿强", "小鹿", "老王家", "吃货一枚", "江南雨", "向日葵", "山里人", "豆豆", "晴天", "阿梅", "大刘"];

const PRICE: &[&str] = &["{t}多少钱？", "{t}直播间价格是多少", "有优惠券吗？", "{t}能再便宜点吗", "两件有优惠吗", "比昨天便宜吗？"];
const SHIPPING: &[&str] = &["发什么快递？", "新疆包邮吗？", "几天能到？", "{t}今天下单什么时候发货", "偏远地区发货吗", "可以顺丰吗"];
const FRESHNESS: &[&str] = &["{t}新鲜吗？", "是今年的新货吗", "保质期多久？", "{t}怎么保存", "冷链发货吗？", "会不会坏果"];
const CHEER: &[&str] = &["主播辛苦了", "已下单！", "{t}看着不错", "支持助农", "回购第三次了", "讲解一下{t}"];
const COMPLAINT: &[&str] = &["上次买的{t}坏了一半，客服不理人", "说好的赠品没收到", "收到的和直播间看到的不一样"];
const OFF_PLATFORM: &[&str] = &["加我微信私下转账更便宜吧", "能直接支付宝转给你吗", "留个电话，线下交易"];

/// Advances the audience by one step.
pub fn step(audience: &mut Audience, room: &Room, broadcast_id: &str) -> Vec<Happening> {
    let rng = &mut audience.rng;
    audience.tick += 1;
    let pinned = room.pinned.as_ref().and_then(|sku| room.bag.iter().find(|offer| &offer.sku == sku));
    // How good the deal on air looks: 0 with nothing pinned, up to about 1 for half price.
    let appeal = pinned.map_or(0.0, |offer| {
        let discount = (offer.price_fen - offer.live_price_fen) as f64 / offer.price_fen.max(1) as f64;
        (0.3 + discount * 1.5).clamp(0.1, 1.2)
    });
    let mut out = Vec::new();

    let entered = (rng.below(6) as f64 + appeal * rng.below(12) as f64) as i32;
    let left = ((audience.online as f64) * (0.02 + 0.08 * rng.unit()) * (1.2 - appeal / 2.0)) as i32;
    audience.online = (audience.online + entered - left).max(0);
    audience.total += entered;
    audience.peak = audience.peak.max(audience.online);
    out.push(Happening::Viewers { online: audience.online, entered, left });

    let likes = (audience.online as f64 * rng.unit() * (0.2 + appeal)) as i32;
    if likes > 0 {
        out.push(Happening::Like { count: likes });
    }

    let title = pinned.or(room.bag.first()).map_or("这个", |offer| offer.title.as_str()).to_owned();
    let n_comments = rng.below(2 + (audience.online / 40).min(3) as u64);
    for _ in 0..n_comments {
        let roll = rng.below(100);
        let templates = match roll {
            0..30 => PRICE,
            30..52 => SHIPPING,
            52..76 => FRESHNESS,
            76..92 => CHEER,
            92..96 => COMPLAINT,
            _ => OFF_PLATFORM,
        };
        let text = rng.pick(templates).replace("{t}", &title);
        let user = format!("{}{}", rng.pick(NICKNAMES), rng.below(1000));
        out.push(Happening::Comment { user, text });
    }

    let mut n_orders = 0;
    let mut coupons = room.coupons.clone();
    for offer in &room.bag {
        if offer.available <= 0 {
            continue;
        }
        let on_air = pinned.is_some_and(|pinned| pinned.sku == offer.sku);
        // A coupon that fits this product makes buying it more tempting.
        let coupon_boost = if coupons.iter().any(|coupon| coupon.remaining > 0 && fits(coupon, &offer.sku)) { 1.3 } else { 1.0 };
        let chance = if on_air { (audience.online as f64 / 150.0 * appeal * coupon_boost).min(0.9) } else { 0.02 };
        for _ in 0..3 {
            if rng.unit() < chance {
                let quantity = (1 + rng.below(3) as i64).min(offer.available - placed(&out, &offer.sku)) as i32;
                if quantity <= 0 {
                    break;
                }
                n_orders += 1;
                let amount_fen = offer.live_price_fen * quantity as i64;
                // Buyers take the biggest discount they qualify for.
                let best = coupons
                    .iter_mut()
                    .filter(|coupon| coupon.remaining > 0 && fits(coupon, &offer.sku) && amount_fen >= coupon.threshold_fen)
                    .max_by_key(|coupon| coupon.discount_fen);
                let (amount_fen, coupon_id) = match best {
                    Some(coupon) => {
                        coupon.remaining -= 1;
                        ((amount_fen - coupon.discount_fen).max(1), Some(coupon.id.clone()))
                    }
                    None => (amount_fen, None),
                };
                out.push(Happening::Order {
                    order_id: format!("{broadcast_id}-{}-{n_orders}", audience.tick),
                    buyer: format!("{}{}", rng.pick(NICKNAMES), rng.below(1000)),
                    sku: offer.sku.clone(),
                    quantity,
                    amount_fen,
                    coupon_id,
                });
            }
        }
    }
    out
}

fn fits(coupon: &CouponOffer, sku: &str) -> bool {
    coupon.sku.as_deref().is_none_or(|only| only == sku)
}

fn placed(happenings: &[Happening], sku: &str) -> i64 {
    happenings
        .iter()
        .map(|happening| match happening {
            Happening::Order { sku: ordered, quantity, .. } if ordered == sku => *quantity as i64,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(live_price_fen: i64, available: i64) -> Room {
        Room {
            bag: vec![Offer { sku: "GN-1".into(), title: "赣南脐橙".into(), price_fen: 5990, live_price_fen, available }],
            pinned: Some("GN-1".into()),
            coupons: Vec::new(),
        }
    }

    fn run(seed: u64, room: &Room, steps: usize) -> (Audience, Vec<Happening>) {
        let mut audience = Audience::new(seed, "b1");
        let happenings = (0..steps).flat_map(|_| step(&mut audience, room, "b1")).collect();
        (audience, happenings)
    }

    fn units(happenings: &[Happening]) -> i64 {
        placed(happenings, "GN-1")
    }

    #[test]
    fn the_same_seed_gives_the_same_audience_and_another_seed_does_not() {
        let room = room(3990, 1_000);
        assert_eq!(run(7, &room, 200), run(7, &room, 200));
        assert_ne!(run(7, &room, 200).1, run(8, &room, 200).1);
    }

    #[test]
    fn a_cheaper_pinned_product_sells_more() {
        let (_, full_price) = run(1, &room(5990, 100_000), 300);
        let (_, half_price) = run(1, &room(2990, 100_000), 300);
        assert!(units(&half_price) > units(&full_price) * 2, "half price {} vs full {}", units(&half_price), units(&full_price));
    }

    #[test]
    fn buyers_use_the_best_coupon_they_qualify_for_until_none_are_left() {
        let mut with_coupons = room(3990, 100_000);
        with_coupons.coupons = vec![
            CouponOffer { id: "small".into(), discount_fen: 300, threshold_fen: 0, remaining: 1_000, sku: None },
            CouponOffer { id: "big".into(), discount_fen: 1500, threshold_fen: 7980, remaining: 5, sku: Some("GN-1".into()) },
            CouponOffer { id: "other".into(), discount_fen: 5000, threshold_fen: 0, remaining: 1_000, sku: Some("RICE".into()) },
        ];
        let mut audience = Audience::new(4, "b1");
        let mut used_big = 0;
        for _ in 0..300 {
            // The sandbox reloads what is left of each coupon before every step.
            let happenings = step(&mut audience, &with_coupons, "b1");
            for happening in happenings {
                if let Happening::Order { quantity, amount_fen, coupon_id, .. } = happening {
                    let full = 3990 * quantity as i64;
                    match coupon_id.as_deref() {
                        Some("big") => {
                            assert!(full >= 7980);
                            assert_eq!(amount_fen, full - 1500);
                            used_big += 1;
                            with_coupons.coupons[1].remaining -= 1;
                        }
                        Some("small") => {
                            assert_eq!(amount_fen, full - 300);
                            assert!(full < 7980 || with_coupons.coupons[1].remaining == 0, "the big coupon was better");
                        }
                        other => panic!("coupon {other:?} does not fit GN-1"),
                    }
                }
            }
        }
        assert_eq!(used_big, 5, "exactly the five big coupons are claimed");
    }

    #[test]
    fn orders_never_exceed_the_units_available() {
        let (_, happenings) = run(3, &room(1990, 5), 50);
        // step sees the same room every time, so this checks one step's cap, per step.
        let mut audience = Audience::new(3, "b1");
        for _ in 0..100 {
            let one = step(&mut audience, &room(1990, 5), "b1");
            assert!(units(&one) <= 5);
        }
        assert!(units(&happenings) > 0);
    }

    #[test]
    fn comments_include_questions_and_a_few_risky_ones() {
        let (_, happenings) = run(11, &room(3990, 1_000), 500);
        let comments: Vec<&str> = happenings
            .iter()
            .filter_map(|happening| match happening {
                Happening::Comment { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(comments.iter().any(|text| text.contains("包邮") || text.contains("快递")));
        assert!(comments.iter().any(|text| text.contains("保质期") || text.contains("新鲜")));
        assert!(comments.iter().any(|text| text.contains("微信") || text.contains("支付宝") || text.contains("线下")));
        let risky = comments.iter().filter(|text| COMPLAINT.iter().chain(OFF_PLATFORM).any(|t| t.replace("{t}", "赣南脐橙") == **text)).count();
        assert!(risky * 100 / comments.len() < 20, "{risky} of {} comments are risky", comments.len());
    }
}
