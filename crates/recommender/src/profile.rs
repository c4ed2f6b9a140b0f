//! The viewer's vector (ML-3): the recency-weighted mean of the vectors of
//! what they touched, each weighted by its signal and halved every
//! `half_life_secs`, minus a share of what they reacted against (ML-5).
//! Serving and evaluation both go through [`user_vector`].
use tch::{Kind, Tensor};

/// One thing the viewer did: the item's row in the index, the signal's
/// weight, when (unix seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Touch {
    pub row: usize,
    pub weight: f32,
    pub at: i64,
}

/// How strongly a negative reaction pushes the vector away.
pub const NEGATIVE_SHARE: f64 = 0.5;

/// `None` when nothing the viewer touched has a vector (cold start).
pub fn user_vector(
    vectors: &Tensor,
    touches: &[Touch],
    negatives: &[usize],
    now: i64,
    half_life_secs: f64,
) -> Option<Tensor> {
    if touches.is_empty() {
        return None;
    }
    let _guard = tch::no_grad_guard();
    let rows: Vec<i64> = touches.iter().map(|t| t.row as i64).collect();
    let weights: Vec<f32> = touches
        .iter()
        .map(|t| {
            let age = (now - t.at).max(0) as f64;
            t.weight * 0.5f64.powf(age / half_life_secs.max(1.0)) as f32
        })
        .collect();
    let total: f32 = weights.iter().sum();
    let weights = Tensor::from_slice(&weights) / f64::from(total.max(f32::MIN_POSITIVE));
    let picked = vectors.index_select(0, &Tensor::from_slice(&rows));
    let mut user = picked.transpose(0, 1).mv(&weights.to_kind(Kind::Float));
    if !negatives.is_empty() {
        let rows: Vec<i64> = negatives.iter().map(|&r| r as i64).collect();
        let away = vectors
            .index_select(0, &Tensor::from_slice(&rows))
            .mean_dim([0i64].as_slice(), false, Kind::Float);
        user -= away * NEGATIVE_SHARE;
    }
    Some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> Tensor {
        Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0, 0.6, 0.8]).view([3, 2])
    }

    #[test]
    fn recent_touches_weigh_more() {
        let touches = [
            Touch {
                row: 0,
                weight: 1.0,
                at: 0,
            },
            Touch {
                row: 1,
                weight: 1.0,
                at: 86_400,
            },
        ];
        let u = user_vector(&vectors(), &touches, &[], 86_400, 86_400.0).unwrap();
        let (x, y) = (u.double_value(&[0]), u.double_value(&[1]));
        assert!(
            (x - 1.0 / 3.0).abs() < 1e-5 && (y - 2.0 / 3.0).abs() < 1e-5,
            "{x} {y}"
        );
        assert!(user_vector(&vectors(), &[], &[], 0, 1.0).is_none());
    }

    #[test]
    fn stronger_signals_and_negatives_move_the_vector() {
        let touches = [
            Touch {
                row: 0,
                weight: 5.0,
                at: 0,
            },
            Touch {
                row: 1,
                weight: 1.0,
                at: 0,
            },
        ];
        let u = user_vector(&vectors(), &touches, &[], 0, 1e9).unwrap();
        assert!(u.double_value(&[0]) > u.double_value(&[1]));
        let pushed = user_vector(&vectors(), &touches, &[0], 0, 1e9).unwrap();
        assert!(pushed.double_value(&[0]) < u.double_value(&[0]) - 0.4);
    }
}
