//! The data of `realtime-bench`, bulk-inserted into the server's fresh
//! SQLite database before it starts: N users and their sessions, one direct
//! conversation each with an "actor" user, follows of the actor, and access
//! tokens signed with the server's secret.
use std::collections::HashMap;

use crate::realtime_server::config;

pub struct Dataset {
    pub actor_token: String,
    pub subscribers: Vec<Subscriber>,
}

/// One subscriber's user, access token and conversation with the actor.
pub struct Subscriber {
    pub user_id: i64,
    pub token: String,
    pub conversation_id: i64,
}

/// Users, sessions, one direct conversation with the actor each, and follows
/// of the actor, in bulk (not through the API: N argon2 sign-ups would
/// measure the seeding).
pub async fn dataset(vars: &HashMap<String, String>, n: usize) -> anyhow::Result<Dataset> {
    use chrono::Utc;
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use vitrine::entities::{
        conversation, conversation_member, follow,
        session::{self, DeviceType},
        user,
    };
    let config = config(vars)?;
    let metrics = vitrine::telemetry::Metrics::new();
    let db = vitrine::db::connect(&config, &metrics).await?;
    vitrine::db::migrate(&db).await?;
    let jwt = vitrine::auth::JwtKeys::load(&config.jwt)?;
    let now = Utc::now();
    for chunk in (0..=n).collect::<Vec<_>>().chunks(2000) {
        user::Entity::insert_many(chunk.iter().map(|i| user::ActiveModel {
            email: Set(format!("rt{i}@bench.vitrine.dev")),
            password_hash: Set(None),
            nickname: Set(format!("rt {i}")),
            role: Set(user::Role::Buyer),
            status: Set(user::UserStatus::Active),
            created_at: Set(now),
            updated_at: Set(now),
            follower_count: Set(0),
            following_count: Set(0),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await?;
    }
    let users: Vec<i64> = user::Entity::find()
        .filter(user::Column::Email.like("rt%@bench.vitrine.dev"))
        .order_by_asc(user::Column::Id)
        .all(&db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    for chunk in users.chunks(2000) {
        session::Entity::insert_many(chunk.iter().map(|u| session::ActiveModel {
            user_id: Set(*u),
            device_id: Set("bench".into()),
            device_type: Set(DeviceType::Web),
            user_agent: Set(None),
            ip: Set(None),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(now + chrono::Duration::days(1)),
            revoked_at: Set(None),
            revoked_reason: Set(None),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await?;
    }
    let sessions: HashMap<i64, i64> = session::Entity::find()
        .all(&db)
        .await?
        .into_iter()
        .map(|s| (s.user_id, s.id))
        .collect();
    let actor = users[0];
    let targets = &users[1..];
    for chunk in targets.chunks(2000) {
        conversation::Entity::insert_many(chunk.iter().map(|u| conversation::ActiveModel {
            kind: Set(conversation::ConversationKind::Direct),
            title: Set(None),
            inquiry_id: Set(None),
            direct_key: Set(Some(format!("{actor}:{u}"))),
            created_by: Set(actor),
            created_at: Set(now),
            last_message_id: Set(None),
            activity_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await?;
        follow::Entity::insert_many(chunk.iter().map(|u| follow::ActiveModel {
            follower_id: Set(*u),
            followee_id: Set(actor),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await?;
    }
    let conversations: HashMap<i64, i64> = conversation::Entity::find()
        .all(&db)
        .await?
        .into_iter()
        .filter_map(|c| {
            let other = c.direct_key?.split(':').nth(1)?.parse::<i64>().ok()?;
            Some((other, c.id))
        })
        .collect();
    let members: Vec<(i64, i64)> = conversations
        .iter()
        .flat_map(|(u, c)| [(*c, *u), (*c, actor)])
        .collect();
    for chunk in members.chunks(2000) {
        conversation_member::Entity::insert_many(chunk.iter().map(|(c, u)| {
            conversation_member::ActiveModel {
                conversation_id: Set(*c),
                user_id: Set(*u),
                joined_at: Set(now),
                last_read_message_id: Set(0),
            }
        }))
        .exec_without_returning(&db)
        .await?;
    }
    let token = |u: i64| jwt.issue(u, user::Role::Buyer, sessions[&u]);
    let subscribers = targets
        .iter()
        .map(|u| {
            Ok(Subscriber {
                user_id: *u,
                token: token(*u)?,
                conversation_id: conversations[u],
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let actor_token = token(actor)?;
    db.close().await?;
    Ok(Dataset {
        actor_token,
        subscribers,
    })
}
