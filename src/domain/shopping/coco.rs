//! The 80 COCO object classes (the labels of detectors trained on COCO 2017:
//! YOLO, torchvision, TensorFlow's model zoo) and the Korean shopping query
//! each one becomes (`couch` → `소파`). Things one does not buy as such
//! (animals, a traffic light) become what a shop sells of them (a figure,
//! a toy, pet supplies), so every class finds products.
//!
//! Clients send the label as their detector writes it; case, `_` and `-`
//! do not matter, and the older Pascal VOC spellings (`sofa`, `tvmonitor`,
//! `diningtable`, …) are accepted as their COCO class.

/// `(class, Korean query)`, in COCO's category order.
pub const CLASSES: [(&str, &str); 80] = [
    ("person", "패션 의류"),
    ("bicycle", "자전거"),
    ("car", "자동차 용품"),
    ("motorcycle", "오토바이 용품"),
    ("airplane", "비행기 모형"),
    ("bus", "버스 모형"),
    ("train", "기차 모형"),
    ("truck", "트럭 모형"),
    ("boat", "보트 모형"),
    ("traffic light", "신호등 조명"),
    ("fire hydrant", "소화전 오브제"),
    ("stop sign", "표지판 인테리어 소품"),
    ("parking meter", "주차 표지판"),
    ("bench", "벤치"),
    ("bird", "새 오브제"),
    ("cat", "고양이 용품"),
    ("dog", "강아지 용품"),
    ("horse", "말 오브제"),
    ("sheep", "양 인형"),
    ("cow", "소 인형"),
    ("elephant", "코끼리 오브제"),
    ("bear", "곰 인형"),
    ("zebra", "얼룩말 오브제"),
    ("giraffe", "기린 오브제"),
    ("backpack", "백팩"),
    ("umbrella", "우산"),
    ("handbag", "핸드백"),
    ("tie", "넥타이"),
    ("suitcase", "캐리어"),
    ("frisbee", "프리스비"),
    ("skis", "스키"),
    ("snowboard", "스노우보드"),
    ("sports ball", "스포츠 공"),
    ("kite", "연"),
    ("baseball bat", "야구 배트"),
    ("baseball glove", "야구 글러브"),
    ("skateboard", "스케이트보드"),
    ("surfboard", "서핑보드"),
    ("tennis racket", "테니스 라켓"),
    ("bottle", "물병"),
    ("wine glass", "와인잔"),
    ("cup", "컵"),
    ("fork", "포크"),
    ("knife", "주방 칼"),
    ("spoon", "숟가락"),
    ("bowl", "그릇"),
    ("banana", "바나나"),
    ("apple", "사과"),
    ("sandwich", "샌드위치"),
    ("orange", "오렌지"),
    ("broccoli", "브로콜리"),
    ("carrot", "당근"),
    ("hot dog", "핫도그"),
    ("pizza", "피자"),
    ("donut", "도넛"),
    ("cake", "케이크"),
    ("chair", "의자"),
    ("couch", "소파"),
    ("potted plant", "화분"),
    ("bed", "침대"),
    ("dining table", "식탁"),
    ("toilet", "변기"),
    ("tv", "TV"),
    ("laptop", "노트북"),
    ("mouse", "마우스"),
    ("remote", "리모컨"),
    ("keyboard", "키보드"),
    ("cell phone", "휴대폰"),
    ("microwave", "전자레인지"),
    ("oven", "오븐"),
    ("toaster", "토스터"),
    ("sink", "싱크대"),
    ("refrigerator", "냉장고"),
    ("book", "책"),
    ("clock", "벽시계"),
    ("vase", "꽃병"),
    ("scissors", "가위"),
    ("teddy bear", "테디베어"),
    ("hair drier", "헤어드라이어"),
    ("toothbrush", "칫솔"),
];

/// Other spellings detectors use, and the COCO class each one is.
const ALIASES: &[(&str, &str)] = &[
    ("sofa", "couch"),
    ("tvmonitor", "tv"),
    ("tv monitor", "tv"),
    ("television", "tv"),
    ("diningtable", "dining table"),
    ("pottedplant", "potted plant"),
    ("motorbike", "motorcycle"),
    ("aeroplane", "airplane"),
    ("cellphone", "cell phone"),
    ("mobile phone", "cell phone"),
    ("hair dryer", "hair drier"),
    ("hairdryer", "hair drier"),
    ("doughnut", "donut"),
    ("teddybear", "teddy bear"),
    ("wineglass", "wine glass"),
];

/// An object class and its query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectClass {
    /// The COCO name (`dining table`).
    pub name: &'static str,
    /// The Korean shopping query (`식탁`).
    pub query: &'static str,
}

/// The class a label names, if it is one of the 80 (or an alias of one).
pub fn lookup(label: &str) -> Option<ObjectClass> {
    let normal = label
        .trim()
        .to_lowercase()
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == normal)
        .map_or(normal.as_str(), |(_, class)| class);
    CLASSES
        .iter()
        .find(|(class, _)| *class == name)
        .map(|(name, query)| ObjectClass { name, query })
}

/// Every class, in COCO's order.
pub fn all() -> impl Iterator<Item = ObjectClass> {
    CLASSES
        .iter()
        .map(|(name, query)| ObjectClass { name, query })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_eighty_distinct_classes_each_with_a_query() {
        let mut names: Vec<&str> = CLASSES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 80);
        assert!(CLASSES.iter().all(|(_, q)| !q.trim().is_empty()));
        for (alias, class) in ALIASES {
            assert!(lookup(class).is_some(), "{alias} → {class}");
        }
    }

    #[test]
    fn labels_are_normalised_and_aliases_resolved() {
        assert_eq!(lookup("couch").unwrap().query, "소파");
        assert_eq!(lookup(" Couch ").unwrap().name, "couch");
        assert_eq!(lookup("sofa").unwrap().name, "couch");
        assert_eq!(lookup("dining_table").unwrap().query, "식탁");
        assert_eq!(lookup("Potted-Plant").unwrap().query, "화분");
        assert_eq!(lookup("diningtable").unwrap().name, "dining table");
        assert_eq!(lookup("tvmonitor").unwrap().name, "tv");
        assert_eq!(lookup("hair dryer").unwrap().name, "hair drier");
    }

    #[test]
    fn unknown_labels_are_none() {
        for bad in ["", "spaceship", "couches", "dining", "소파"] {
            assert!(lookup(bad).is_none(), "{bad}");
        }
    }
}
