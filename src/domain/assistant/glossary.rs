//! A bilingual glossary of the help corpus's subjects: each concept names
//! its Korean words (found as substrings, so particles do not matter) and
//! its English words (compared after stemming). The offline embedder adds a
//! feature per concept found, which is what lets an English question find a
//! Korean passage and the reverse, and what makes "money back" meet
//! "refund"; it knows nothing outside this list.
use std::{collections::HashMap, sync::OnceLock};

use crate::infra::search::analysis::text_tokens;

/// (concept, Korean words, English words).
const CONCEPTS: &[(&str, &[&str], &[&str])] = &[
    (
        "refund",
        &["환불", "돈을 돌려", "환급"],
        &["refund", "money back", "reimburse"],
    ),
    (
        "cancel",
        &["취소", "철회"],
        &["cancel", "cancellation", "withdraw"],
    ),
    (
        "order",
        &["주문"],
        &["order", "checkout", "purchase", "buy"],
    ),
    (
        "payment",
        &["결제", "지불", "카드", "납부"],
        &["payment", "pay", "card", "charge", "billing"],
    ),
    (
        "fail",
        &["실패", "거절", "오류"],
        &["fail", "failure", "declined", "error"],
    ),
    (
        "ship",
        &["배송", "발송", "택배"],
        &[
            "ship", "shipping", "delivery", "deliver", "package", "parcel",
        ],
    ),
    (
        "stock",
        &["재고", "품절", "마지막"],
        &["stock", "sold out", "inventory", "last one"],
    ),
    ("cart", &["장바구니", "카트"], &["cart", "basket"]),
    (
        "custom_cart",
        &["커스텀 장바구니", "커스텀 카트", "공유 카트", "공유"],
        &["custom cart", "share", "shared"],
    ),
    (
        "quantity",
        &["수량", "개수"],
        &["quantity", "how many", "amount"],
    ),
    (
        "price",
        &["가격", "금액", "원"],
        &["price", "cost", "won", "krw"],
    ),
    (
        "short",
        &["쇼츠", "숏폼", "짧은 영상", "영상"],
        &["short", "shorts", "video", "clip"],
    ),
    (
        "store",
        &["스토어", "상점", "가게", "판매자", "셀러"],
        &["store", "shop", "seller", "merchant"],
    ),
    (
        "approval",
        &["승인", "심사", "입점"],
        &["approval", "approve", "review process", "onboarding"],
    ),
    (
        "product",
        &[
            "상품", "제품", "물건", "옷", "의류", "재킷", "코트", "신발", "셔츠", "바지", "가방",
        ],
        &[
            "product", "item", "goods", "clothes", "clothing", "jacket", "coat", "shoe", "shirt",
            "dress", "bag",
        ],
    ),
    (
        "design",
        &["디자인", "인테리어", "방 사진"],
        &["design", "interior", "room"],
    ),
    (
        "generate",
        &["생성", "만들"],
        &["generate", "generation", "create", "make"],
    ),
    (
        "ai",
        &["AI", "인공지능"],
        &["ai", "artificial intelligence", "model"],
    ),
    (
        "style",
        &["스타일", "모던", "북유럽", "미니멀"],
        &["style", "modern", "scandinavian", "minimal"],
    ),
    (
        "plan",
        &["플랜", "요금제", "구독", "멤버십"],
        &["plan", "subscription", "subscribe", "membership", "tier"],
    ),
    ("free", &["무료", "공짜"], &["free"]),
    ("pro", &["PRO", "프로"], &["pro"]),
    (
        "enterprise",
        &["ENTERPRISE", "엔터프라이즈", "기업"],
        &["enterprise", "business"],
    ),
    (
        "quota",
        &["한도", "횟수", "쿼터", "제한", "남은"],
        &["quota", "limit", "remaining", "allowance"],
    ),
    (
        "month",
        &["매달", "매월", "한 달", "월간", "달"],
        &["month", "monthly"],
    ),
    ("day", &["일", "하루", "날짜"], &["day", "daily", "days"]),
    (
        "time",
        &["시간", "분", "기간", "얼마나 걸", "유효", "만료"],
        &[
            "time", "minute", "hour", "how long", "long", "period", "expire", "valid",
        ],
    ),
    (
        "notification",
        &["알림", "푸시"],
        &["notification", "notify", "alert", "push"],
    ),
    (
        "device",
        &["기기", "디바이스", "휴대폰", "폰", "태블릿"],
        &["device", "phone", "tablet", "mobile"],
    ),
    (
        "realtime",
        &["실시간", "동기화", "타이핑"],
        &["real time", "realtime", "sync", "typing", "live"],
    ),
    (
        "message",
        &["메시지", "채팅", "대화"],
        &["message", "chat", "conversation", "dm"],
    ),
    (
        "privacy",
        &["개인정보", "프라이버시", "정보"],
        &["privacy", "personal data", "data"],
    ),
    (
        "delete_account",
        &["탈퇴", "계정 삭제", "회원 탈퇴"],
        &[
            "delete my account",
            "delete account",
            "account deletion",
            "close my account",
        ],
    ),
    ("delete", &["삭제", "지우"], &["delete", "remove", "erase"]),
    (
        "account",
        &["계정", "회원"],
        &["account", "profile", "member"],
    ),
    (
        "password",
        &["비밀번호", "암호"],
        &["password", "passphrase"],
    ),
    (
        "login",
        &["로그인", "접속"],
        &["login", "log in", "sign in", "signin"],
    ),
    (
        "signup",
        &["가입", "회원가입"],
        &["sign up", "signup", "register", "registration"],
    ),
    ("email", &["이메일", "메일"], &["email", "mail", "e-mail"]),
    (
        "verify",
        &["인증", "확인 코드", "코드", "인증번호"],
        &["verify", "verification", "code", "confirm"],
    ),
    (
        "security",
        &["보안", "해킹", "도용"],
        &["security", "secure", "hack", "hacked", "compromised"],
    ),
    (
        "session",
        &["세션", "로그아웃"],
        &["session", "log out", "logout", "sign out"],
    ),
    (
        "two_factor",
        &["2단계", "이중 인증", "OTP"],
        &["two-factor", "2fa", "otp", "authenticator"],
    ),
    (
        "review",
        &["리뷰", "후기", "평점", "별점"],
        &["review", "rating", "stars", "feedback"],
    ),
    ("photo", &["사진", "이미지"], &["photo", "image", "picture"]),
    ("upload", &["업로드", "올리"], &["upload"]),
    (
        "file_size",
        &["용량", "크기", "MB"],
        &["size", "mb", "megabyte", "large"],
    ),
    (
        "inquiry",
        &["문의", "질문", "1:1"],
        &["inquiry", "question", "ask", "support", "contact"],
    ),
    ("answer", &["답변", "응답"], &["answer", "reply", "respond"]),
    ("search", &["검색", "찾"], &["search", "find", "look for"]),
    (
        "recommend",
        &["추천"],
        &["recommend", "recommendation", "suggest"],
    ),
    ("feed", &["피드", "타임라인"], &["feed", "timeline"]),
    (
        "community",
        &["커뮤니티", "게시글", "게시물", "포스트"],
        &["community", "post", "posts"],
    ),
    ("comment", &["댓글"], &["comment"]),
    ("like", &["좋아요", "하트"], &["like", "heart"]),
    (
        "follow",
        &["팔로우", "구독자", "팔로워"],
        &["follow", "follower"],
    ),
    ("report", &["신고"], &["report", "flag", "abuse"]),
    (
        "partner",
        &["파트너", "제휴"],
        &["partner", "affiliate", "integration"],
    ),
    (
        "api",
        &["API", "쿼리", "토큰"],
        &["api", "query", "token", "graphql"],
    ),
    (
        "persisted",
        &["등록된 쿼리", "사전 등록", "해시"],
        &["persisted", "hash", "manifest"],
    ),
    (
        "rate_limit",
        &["요청 제한", "속도 제한", "너무 많은 요청"],
        &["rate limit", "too many requests", "throttle"],
    ),
    ("webhook", &["웹훅"], &["webhook"]),
    (
        "invoice",
        &["영수증", "청구서", "인보이스"],
        &["invoice", "receipt"],
    ),
    (
        "renew",
        &["갱신", "자동 결제", "연장"],
        &["renew", "renewal", "recurring"],
    ),
    ("grace", &["유예"], &["grace"]),
    (
        "color",
        &["색", "색상", "팔레트", "컬러"],
        &["color", "colour", "palette"],
    ),
    ("size", &["사이즈", "치수"], &["size", "fit"]),
    ("category", &["카테고리", "분류"], &["category"]),
    (
        "wishlist",
        &["위시리스트", "찜"],
        &["wishlist", "wish list", "save for later"],
    ),
    ("address", &["주소", "배송지"], &["address"]),
    (
        "idempotent",
        &["중복", "두 번", "재시도", "다시 시도"],
        &["duplicate", "twice", "retry", "again", "double"],
    ),
    (
        "language",
        &["언어", "한국어", "영어"],
        &["language", "korean", "english"],
    ),
    (
        "download",
        &["내려받", "다운로드", "내보내"],
        &["download", "export"],
    ),
    ("block", &["차단"], &["block", "ban"]),
];

/// Concept ids by English stem (several-word phrases by their stems
/// joined with a space) and Korean words.
pub struct Glossary {
    english: HashMap<String, Vec<usize>>,
    /// Longest English phrase, in words.
    longest: usize,
    korean: Vec<(&'static str, usize)>,
}

impl Glossary {
    fn build() -> Self {
        let mut english: HashMap<String, Vec<usize>> = HashMap::new();
        let mut korean = Vec::new();
        let mut longest = 1;
        for (id, (_, ko, en)) in CONCEPTS.iter().enumerate() {
            for word in *ko {
                korean.push((*word, id));
            }
            for phrase in *en {
                let stems = text_tokens(phrase);
                longest = longest.max(stems.len());
                let ids = english.entry(stems.join(" ")).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Self {
            english,
            longest,
            korean,
        }
    }

    /// The concepts in `text`, once per occurrence.
    pub fn concepts(&self, text: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        let lower = text.to_lowercase();
        for (word, id) in &self.korean {
            let needle = word.to_lowercase();
            if word.chars().any(|c| c.is_ascii_alphabetic()) {
                // Latin words of the Korean list (AI, PRO) are matched as
                // English, below.
                continue;
            }
            out.extend(std::iter::repeat_n(
                CONCEPTS[*id].0,
                lower.matches(&needle).count(),
            ));
        }
        let stems: Vec<String> = text_tokens(text)
            .into_iter()
            .filter(|t| t.chars().all(|c| !super::text::is_hangul(c)))
            .collect();
        for start in 0..stems.len() {
            for len in 1..=self.longest.min(stems.len() - start) {
                if let Some(ids) = self.english.get(&stems[start..start + len].join(" ")) {
                    out.extend(ids.iter().map(|id| CONCEPTS[*id].0));
                }
            }
        }
        out
    }
}

/// The glossary, built once.
pub fn glossary() -> &'static Glossary {
    static GLOSSARY: OnceLock<Glossary> = OnceLock::new();
    GLOSSARY.get_or_init(Glossary::build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_meet_in_a_concept() {
        let g = glossary();
        assert!(g.concepts("환불은 언제 되나요?").contains(&"refund"));
        assert!(g.concepts("When do I get my refunds?").contains(&"refund"));
        assert!(g.concepts("I want my money back").contains(&"refund"));
        assert!(
            g.concepts("How do I delete my account?")
                .contains(&"delete_account")
        );
        assert!(
            g.concepts("회원 탈퇴하고 싶어요")
                .contains(&"delete_account")
        );
        assert!(g.concepts("PRO plan").contains(&"pro"));
    }
}
