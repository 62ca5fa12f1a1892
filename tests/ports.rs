//! One contract per port, run against both of its adapters: the embedded store and
//! DynamoDB, the local issuer and Cognito, the local purge and CloudFront (the AWS
//! ones on moto). The assertions are written once, in the `*_contract` functions.

use std::sync::Arc;

use crate::support::moto::{AwsFixture, Moto};
use crate::support::{OWNER_EMAIL, OWNER_PASSWORD};
use folio_origin::adapters::aws::cloudfront::CloudFrontInvalidator;
use folio_origin::adapters::local::embedded::EmbeddedStore;
use folio_origin::adapters::local::purge::LocalPurge;
use folio_origin::ports::identity::{IdentityError, WRONG_CREDENTIALS};
use folio_origin::ports::store::{Attributes, Limit};
use folio_origin::ports::{
    Condition, IdentityProvider, Invalidator, Item, Key, Query, SortKeyRange, Store, StoreError,
    Write,
};
use folio_origin::wiring::aws::Aws;
use folio_origin::wiring::local::{Local, LocalConfig};
use folio_shared::domain::Email;
use folio_shared::jwt::Verifier;

// ---------------------------------------------------------------- store

fn owner() -> folio_origin::repo::history::Author {
    folio_origin::repo::history::Author::new(OWNER_EMAIL)
}

fn row(pk: &str, sk: &str) -> Item {
    Item {
        pk: pk.into(),
        sk: sk.into(),
        entity_type: "Test".into(),
        version: 1,
        ..Item::default()
    }
}

fn put(item: Item, condition: Condition) -> Write {
    Write::Put { item, condition }
}

async fn store_contract(store: &dyn Store) {
    let a = row("P#1", "A");
    assert_eq!(store.get(&a.key()).await, Ok(None), "missing rows are None");

    // A read without data returns what `Item::project` keeps, on every store:
    // the row's head, none of the attributes a head leaves out.
    let full = Item {
        gsi1pk: Some("BLOG#published".into()),
        gsi1sk: Some("2026-12-05T10:00:00Z#P#0".into()),
        status: Some("published".into()),
        created_at: Some("2026-12-01T09:00:00Z".into()),
        updated_at: Some("2026-12-05T10:00:00Z".into()),
        data: Some(r#"{"title":"A post"}"#.into()),
        version: 7,
        count: 3,
        expires_at: Some(4_102_444_800),
        layout: 2,
        ..row("P#0", "META")
    };
    store
        .transact(vec![put(full.clone(), Condition::None)])
        .await
        .unwrap();
    let head = Attributes::WithoutData { tallies: &[] };
    let read = store.get_with(&full.key(), head).await.unwrap();
    assert_eq!(read, Some(full.clone().project(head)));
    let read = read.unwrap();
    assert_eq!(
        (
            read.gsi1sk.as_deref(),
            read.status.as_deref(),
            read.updated_at.as_deref()
        ),
        (
            full.gsi1sk.as_deref(),
            full.status.as_deref(),
            full.updated_at.as_deref()
        )
    );
    assert_eq!((read.version, read.expires_at), (7, full.expires_at));
    assert_eq!(
        (
            read.data,
            read.created_at,
            read.gsi1pk,
            read.count,
            read.layout,
            read.entity_type.as_str()
        ),
        (None, None, None, 0, 0, "")
    );
    assert_eq!(store.get_with(&a.key(), head).await, Ok(None));
    assert_eq!(
        store.get_with(&full.key(), Attributes::All).await.unwrap(),
        Some(full)
    );

    // Conditional creation: the second NotExists put is refused.
    store
        .transact(vec![put(a.clone(), Condition::NotExists)])
        .await
        .unwrap();
    assert_eq!(store.get(&a.key()).await.unwrap(), Some(a.clone()));
    assert_eq!(
        store
            .transact(vec![put(a.clone(), Condition::NotExists)])
            .await,
        Err(StoreError::ConditionFailed {
            index: 0,
            holder: None
        })
    );

    // All or nothing, and the failing write is named by its index.
    let b = row("P#1", "B");
    assert_eq!(
        store
            .transact(vec![
                put(b.clone(), Condition::None),
                put(a.clone(), Condition::NotExists),
            ])
            .await,
        Err(StoreError::ConditionFailed {
            index: 1,
            holder: None
        })
    );
    assert_eq!(
        store.get(&b.key()).await,
        Ok(None),
        "nothing of a failed transaction lands"
    );

    // Optimistic concurrency on Version, and Status conditions.
    let mut a2 = a.clone();
    a2.version = 2;
    a2.status = Some("published".into());
    assert_eq!(
        store
            .transact(vec![put(a2.clone(), Condition::VersionIs(7))])
            .await,
        Err(StoreError::ConditionFailed {
            index: 0,
            holder: None
        })
    );
    store
        .transact(vec![put(a2.clone(), Condition::VersionIs(1))])
        .await
        .unwrap();
    assert_eq!(store.get(&a.key()).await.unwrap().unwrap().version, 2);
    assert_eq!(
        store
            .transact(vec![Write::Check {
                key: a.key(),
                condition: Condition::StatusIs("draft".into()),
            }])
            .await,
        Err(StoreError::ConditionFailed {
            index: 0,
            holder: None
        })
    );
    store
        .transact(vec![Write::Check {
            key: a.key(),
            condition: Condition::StatusIs("published".into()),
        }])
        .await
        .unwrap();
    assert_eq!(
        store
            .transact(vec![Write::Delete {
                key: Key::new("P#1", "nope"),
                condition: Condition::Exists,
            }])
            .await,
        Err(StoreError::ConditionFailed {
            index: 0,
            holder: None
        })
    );

    // Counters start at zero and add up (or down), several in one transaction; a
    // label replaces the row's Data, no label leaves it.
    let counter = |sk: &str, by: i64, label: Option<&str>| Write::Increment {
        key: Key::new("C", sk),
        entity_type: "Counter".into(),
        by,
        label: label.map(String::from),
    };
    store
        .transact(vec![counter("x", 1, Some("Rust")), counter("y", 1, None)])
        .await
        .unwrap();
    store.transact(vec![counter("x", 1, None)]).await.unwrap();
    store.transact(vec![counter("y", -1, None)]).await.unwrap();
    let x = store.get(&Key::new("C", "x")).await.unwrap().unwrap();
    assert_eq!((x.count, x.data.as_deref()), (2, Some("Rust")));
    assert_eq!(
        store.get(&Key::new("C", "y")).await.unwrap().unwrap().count,
        0
    );

    // Queries: one partition, sort-key ranges, both orders, never other partitions.
    for sk in [
        "DAY#2026-01-01",
        "DAY#2026-01-02",
        "DAY#2026-01-03",
        "TOTAL",
    ] {
        store
            .transact(vec![put(row("Q", sk), Condition::None)])
            .await
            .unwrap();
    }
    store
        .transact(vec![put(row("Q2", "DAY#2026-01-02"), Condition::None)])
        .await
        .unwrap();
    let sks = |items: Vec<Item>| items.into_iter().map(|i| i.sk).collect::<Vec<_>>();
    assert_eq!(
        sks(store
            .query(&Query::table("Q", SortKeyRange::BeginsWith("DAY#".into())))
            .await
            .unwrap()),
        ["DAY#2026-01-01", "DAY#2026-01-02", "DAY#2026-01-03"]
    );
    let mut between = Query::table(
        "Q",
        SortKeyRange::Between("DAY#2026-01-02".into(), "DAY#2026-01-03".into()),
    );
    between.descending = true;
    assert_eq!(
        sks(store.query(&between).await.unwrap()),
        ["DAY#2026-01-03", "DAY#2026-01-02"]
    );

    // GSI1: only rows that carry the index keys, newest first, and they move when
    // the keys change.
    let indexed = |sk: &str, gsi_pk: &str, gsi_sk: &str| Item {
        gsi1pk: Some(gsi_pk.into()),
        gsi1sk: Some(gsi_sk.into()),
        ..row(&format!("ITEM#{sk}"), "META")
    };
    for (id, date) in [
        ("1", "2026-01-01"),
        ("2", "2026-03-01"),
        ("3", "2026-02-01"),
    ] {
        store
            .transact(vec![put(
                indexed(id, "KIND#published", date),
                Condition::None,
            )])
            .await
            .unwrap();
    }
    let pks = |items: Vec<Item>| items.into_iter().map(|i| i.pk).collect::<Vec<_>>();
    assert_eq!(
        pks(store.query(&Query::gsi1("KIND#published")).await.unwrap()),
        ["ITEM#2", "ITEM#3", "ITEM#1"]
    );
    store
        .transact(vec![put(
            indexed("2", "KIND#draft", "2026-03-01"),
            Condition::None,
        )])
        .await
        .unwrap();
    assert_eq!(
        pks(store.query(&Query::gsi1("KIND#published")).await.unwrap()),
        ["ITEM#3", "ITEM#1"]
    );
    assert_eq!(
        pks(store.query(&Query::gsi1("KIND#draft")).await.unwrap()),
        ["ITEM#2"]
    );

    // A bounded query returns the first items in its order, and no more.
    assert_eq!(
        pks(store
            .query(&Query::gsi1("KIND#published").first(1))
            .await
            .unwrap()),
        ["ITEM#3"]
    );
    assert_eq!(
        sks(store.query(&between.clone().first(1)).await.unwrap()),
        ["DAY#2026-01-03"]
    );
    assert_eq!(
        sks(store
            .query(&Query::table("Q", SortKeyRange::All).first(2))
            .await
            .unwrap()),
        ["DAY#2026-01-01", "DAY#2026-01-02"]
    );

    // Expired rows are gone for reads and for NotExists, before TTL deletes them.
    let past = chrono::Utc::now().timestamp() - 10;
    let expired = Item {
        expires_at: Some(past),
        ..row("E", "1")
    };
    store
        .transact(vec![put(expired.clone(), Condition::None)])
        .await
        .unwrap();
    assert_eq!(store.get(&expired.key()).await, Ok(None));
    assert!(
        store
            .query(&Query::table("E", SortKeyRange::All))
            .await
            .unwrap()
            .is_empty()
    );
    store
        .transact(vec![put(row("E", "1"), Condition::NotExists)])
        .await
        .expect("an expired row does not block NotExists");
    // A claim writes a row no live row holds. Refused, it answers the row that
    // holds the key, read by the same call, and the transaction writes nothing.
    let held = Item {
        data: Some("the holder's".into()),
        expires_at: Some(past + 3_600),
        ..row("CLAIM", "1")
    };
    store
        .transact(vec![Write::Claim { item: held.clone() }])
        .await
        .unwrap();
    assert_eq!(
        store
            .transact(vec![
                put(row("CLAIM", "2"), Condition::None),
                Write::Claim {
                    item: row("CLAIM", "1"),
                },
            ])
            .await,
        Err(StoreError::ConditionFailed {
            index: 1,
            holder: Some(Box::new(held.clone())),
        })
    );
    assert_eq!(store.get(&row("CLAIM", "2").key()).await, Ok(None));
    assert_eq!(store.get(&held.key()).await, Ok(Some(held.clone())));
    // A row past its expiry, not yet deleted by TTL.
    let put_expired = |row: Item| {
        put(
            Item {
                expires_at: Some(past),
                ..row
            },
            Condition::None,
        )
    };
    store
        .transact(vec![put_expired(row("CLAIM", "3"))])
        .await
        .unwrap();
    store
        .transact(vec![Write::Claim {
            item: row("CLAIM", "3"),
        }])
        .await
        .expect("an expired row holds no claim");
    // An absence check writes nothing and passes where no live row is; refused,
    // it answers the row that holds the key, as a claim does, and the
    // transaction writes nothing.
    store
        .transact(vec![put_expired(row("ABSENT", "expired"))])
        .await
        .unwrap();
    store
        .transact(vec![
            put(row("ABSENT", "1"), Condition::None),
            Write::Absent {
                key: row("ABSENT", "expired").key(),
            },
            Write::Absent {
                key: row("ABSENT", "never").key(),
            },
        ])
        .await
        .expect("no live row holds either key");
    assert_eq!(store.get(&row("ABSENT", "never").key()).await, Ok(None));
    assert_eq!(
        store
            .transact(vec![
                put(row("ABSENT", "2"), Condition::None),
                Write::Absent { key: held.key() },
            ])
            .await,
        Err(StoreError::ConditionFailed {
            index: 1,
            holder: Some(Box::new(held.clone())),
        })
    );
    assert_eq!(store.get(&row("ABSENT", "2").key()).await, Ok(None));
    // The first failed condition is the one reported, holder or not.
    assert_eq!(
        store
            .transact(vec![
                put(row("ABSENT", "1"), Condition::NotExists),
                Write::Absent { key: held.key() },
            ])
            .await,
        Err(StoreError::ConditionFailed {
            index: 0,
            holder: None,
        })
    );
    // A bound counts live rows only.
    store
        .transact(vec![
            put(
                Item {
                    expires_at: Some(past),
                    ..row("L", "1")
                },
                Condition::None,
            ),
            put(row("L", "2"), Condition::None),
            put(row("L", "3"), Condition::None),
        ])
        .await
        .unwrap();
    assert_eq!(
        sks(store
            .query(&Query::table("L", SortKeyRange::All).first(1))
            .await
            .unwrap()),
        ["2"]
    );

    // Tallies: one write adds to any number of named counts, creating the row
    // and each name at 0 first; names are any text (a tag like `c++ & ü.x`).
    let tally = Key::new("TALLY", "REGION#a");
    let add = |by: &[(&str, i64)], listed_at: Option<Key>| Write::Tally {
        key: tally.clone(),
        entity_type: "Tally".into(),
        by: by.iter().map(|(n, b)| (n.to_string(), *b)).collect(),
        listed_at,
    };
    store
        .transact(vec![add(&[("all", 2), ("tag=c++ & ü.x", 1)], None)])
        .await
        .unwrap();
    store
        .transact(vec![add(&[("all", -1), ("tag=go", 1)], None)])
        .await
        .unwrap();
    let counted = store.get(&tally).await.unwrap().expect("a tally row");
    assert_eq!(
        counted.tallies,
        std::collections::BTreeMap::from([
            ("all".to_string(), 1),
            ("tag=c++ & ü.x".to_string(), 1),
            ("tag=go".to_string(), 1),
        ])
    );
    assert_eq!(counted.entity_type, "Tally");
    assert_eq!(counted.gsi1pk, None, "listed only when asked");
    // Listed: the row gets a GSI1 key (its tallies unchanged), and a GSI1 Query
    // of that partition finds it above the rows that sort below it.
    let list = "TALLY-LIST";
    store
        .transact(vec![put(
            Item {
                gsi1pk: Some(list.into()),
                gsi1sk: Some("2026-01-01#a".into()),
                ..row("TALLY-ITEM", "1")
            },
            Condition::None,
        )])
        .await
        .unwrap();
    store
        .transact(vec![add(&[("all", 1)], Some(Key::new(list, "~REGION#a")))])
        .await
        .unwrap();
    let counted = store.get(&tally).await.unwrap().expect("a tally row");
    assert_eq!(counted.tallies["all"], 2);
    let head = store.query(&Query::gsi1(list).first(1)).await.unwrap();
    assert_eq!(head.len(), 1);
    assert_eq!(
        (head[0].pk.as_str(), head[0].sk.as_str()),
        ("TALLY", "REGION#a")
    );
    assert_eq!(head[0].tallies, counted.tallies);
    assert_eq!(head[0].gsi1sk.as_deref(), Some("~REGION#a"));
    // A tally back at zero can be removed, on the condition that it is zero (or
    // absent): a row does not keep every tag ever used.
    let untally = |names: &[&str]| Write::Untally {
        key: tally.clone(),
        names: names.iter().map(|n| n.to_string()).collect(),
    };
    store
        .transact(vec![add(&[("tag=go", -1)], None)])
        .await
        .unwrap();
    assert!(matches!(
        store
            .transact(vec![untally(&["tag=go", "tag=c++ & ü.x"])])
            .await,
        Err(StoreError::ConditionFailed {
            index: 0,
            holder: None
        })
    ));
    store
        .transact(vec![untally(&["tag=go", "tag=never"])])
        .await
        .unwrap();
    let counted = store.get(&tally).await.unwrap().expect("a tally row");
    assert_eq!(
        counted.tallies,
        std::collections::BTreeMap::from([
            ("all".to_string(), 2),
            ("tag=c++ & ü.x".to_string(), 1),
        ])
    );
    assert_eq!(counted.gsi1sk.as_deref(), Some("~REGION#a"), "still listed");
    // An update may not grow a row past DynamoDB's 400 KB either: tallies of
    // 1,000-byte names, 30 a write, are refused before the row passes the limit.
    let big = Key::new("TALLY", "REGION#big");
    let mut refused = None;
    for round in 0..20 {
        let by = (0..30)
            .map(|i| (format!("{round:02}-{i:02}-{}", "n".repeat(994)), 1))
            .collect();
        let write = Write::Tally {
            key: big.clone(),
            entity_type: "Tally".into(),
            by,
            listed_at: None,
        };
        if let Err(e) = store.transact(vec![write]).await {
            refused = Some((round, e));
            break;
        }
    }
    let (round, error) = refused.expect("an update past 400 KB is refused");
    assert!(
        matches!(error, StoreError::Limit(Limit::UpdatedItemSize { .. })),
        "{error:?}"
    );
    assert_eq!(
        round, 13,
        "refused at the write that would pass 400,000 bytes"
    );
    let kept = store.get(&big).await.unwrap().expect("the row as it was");
    assert_eq!(kept.tallies.len(), 13 * 30);
    // A row's layout comes back as written.
    let laid = Item {
        layout: 1,
        ..row("LAYOUT", "1")
    };
    store
        .transact(vec![put(laid.clone(), Condition::None)])
        .await
        .unwrap();
    assert_eq!(store.get(&laid.key()).await.unwrap(), Some(laid));

    // Large partitions come back whole (DynamoDB pages at 1 MB).
    let big = "x".repeat(100_000);
    for i in 0..15 {
        let item = Item {
            data: Some(big.clone()),
            ..row("BIG", &format!("{i:02}"))
        };
        store
            .transact(vec![put(item, Condition::None)])
            .await
            .unwrap();
    }
    let all = store
        .query(&Query::table("BIG", SortKeyRange::All))
        .await
        .unwrap();
    assert_eq!(all.len(), 15, "every page of a large partition is read");
    let first = store
        .query(&Query::table("BIG", SortKeyRange::All).first(12))
        .await
        .unwrap();
    assert_eq!(first.len(), 12, "a bound spanning pages stops at the bound");

    // Many rows at once, in the order asked, missing and expired ones None, a key
    // asked twice answered twice, past DynamoDB's 100 keys per BatchGetItem.
    let gone = Item {
        expires_at: Some(past),
        ..row("GONE", "1")
    };
    store
        .transact(vec![put(gone.clone(), Condition::None)])
        .await
        .unwrap();
    let big: Vec<Key> = (0..15)
        .map(|i| Key::new("BIG", format!("{i:02}")))
        .collect();
    let mut asked = vec![
        big[3].clone(),
        Key::new("NOPE", "1"),
        gone.key(),
        big[3].clone(),
    ];
    asked.extend((0..120).map(|i| Key::new("NOPE", format!("{i}"))));
    asked.extend(big.iter().cloned());
    let rows = store.get_many(&asked).await.unwrap();
    assert_eq!(rows.len(), asked.len());
    assert_eq!(rows[0].as_ref().map(|r| r.sk.as_str()), Some("03"));
    assert_eq!(rows[1], None);
    assert_eq!(rows[2], None, "an expired row is absent");
    assert_eq!(rows[3], rows[0]);
    assert!(rows[4..124].iter().all(Option::is_none));
    let tail: Vec<String> = rows[124..]
        .iter()
        .map(|r| r.as_ref().unwrap().sk.clone())
        .collect();
    let expected: Vec<String> = (0..15).map(|i| format!("{i:02}")).collect();
    assert_eq!(tail, expected);
    assert_eq!(tail.len(), 15);

    dynamodb_limits_contract(store).await;
}

/// DynamoDB's documented limits ("Quotas in Amazon DynamoDB"), refused by every
/// adapter before anything is written.
async fn dynamodb_limits_contract(store: &dyn Store) {
    use folio_origin::ports::store::{Limit, limits};
    let over = Item {
        data: Some("x".repeat(limits::MAX_ITEM_BYTES)),
        ..row("LIMIT", "big")
    };
    let just_under = Item {
        data: Some("x".repeat(limits::MAX_ITEM_BYTES - 500)),
        ..row("LIMIT", "fits")
    };
    assert!(matches!(
        store
            .transact(vec![put(over.clone(), Condition::None)])
            .await,
        Err(StoreError::Limit(Limit::ItemSize { .. }))
    ));
    assert_eq!(store.get(&over.key()).await, Ok(None), "nothing written");
    store
        .transact(vec![put(just_under.clone(), Condition::None)])
        .await
        .expect("an item just under 400 KB is stored");

    // One operation per item in a transaction: a Put and a Delete of one row.
    let same = row("LIMIT", "same");
    assert!(matches!(
        store
            .transact(vec![
                put(same.clone(), Condition::None),
                Write::Delete {
                    key: same.key(),
                    condition: Condition::None
                },
            ])
            .await,
        Err(StoreError::Limit(Limit::SameItemTwice(_)))
    ));
    assert_eq!(store.get(&same.key()).await, Ok(None));

    // Key sizes: sort keys 1 to 1,024 bytes, partition keys 1 to 2,048.
    let long_sort = row("LIMIT", &"s".repeat(limits::MAX_SORT_KEY_BYTES + 1));
    assert!(matches!(
        store.transact(vec![put(long_sort, Condition::None)]).await,
        Err(StoreError::Limit(Limit::KeySize { .. }))
    ));
    let long_partition = row(&"p".repeat(limits::MAX_PARTITION_KEY_BYTES + 1), "A");
    assert!(matches!(
        store
            .transact(vec![put(long_partition, Condition::None)])
            .await,
        Err(StoreError::Limit(Limit::KeySize { .. }))
    ));

    // Key conditions: no empty bound (DynamoDB answers ValidationException).
    let empty_bound = Query::table("LIMIT", SortKeyRange::Between(String::new(), "z".into()));
    assert!(matches!(
        store.query(&empty_bound).await,
        Err(StoreError::Limit(Limit::KeySize { size: 0, .. }))
    ));
    assert!(matches!(
        store.query(&Query::table("", SortKeyRange::All)).await,
        Err(StoreError::Limit(Limit::KeySize { size: 0, .. }))
    ));

    // At most 100 actions in one transaction.
    let many: Vec<Write> = (0..=limits::MAX_TRANSACTION_ACTIONS)
        .map(|i| put(row("LIMIT", &format!("many-{i}")), Condition::None))
        .collect();
    assert!(matches!(
        store.transact(many).await,
        Err(StoreError::Limit(Limit::TransactionActions(101)))
    ));
    assert_eq!(store.get(&row("LIMIT", "many-0").key()).await, Ok(None));
}

/// The engine itself (moto, or Amazon's DynamoDB Local) refuses what the port's
/// rules refuse, so those rules are DynamoDB's and not folio's invention.
#[tokio::test]
async fn the_dynamodb_engine_refuses_what_the_port_rules_refuse() {
    use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let client = folio::dynamo_admin::client(&fixture.settings, &fixture.sdk);
    let table = &fixture.settings.table_name;
    let key = |sk: &str| {
        std::collections::HashMap::from([
            ("PK".to_string(), AttributeValue::S("RAW".into())),
            ("SK".to_string(), AttributeValue::S(sk.into())),
        ])
    };
    let put = |sk: &str, data: &str| {
        let mut item = key(sk);
        item.insert("Data".into(), AttributeValue::S(data.into()));
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let delete = TransactWriteItem::builder()
        .delete(
            Delete::builder()
                .table_name(table)
                .set_key(Some(key("a")))
                .build()
                .unwrap(),
        )
        .build();
    let same_item = client
        .transact_write_items()
        .transact_items(put("a", "x"))
        .transact_items(delete)
        .send()
        .await;
    assert!(same_item.is_err(), "two operations on one item are refused");
    let too_big = client
        .transact_write_items()
        .transact_items(put("b", &"x".repeat(410 * 1024)))
        .send()
        .await;
    assert!(too_big.is_err(), "an item over 400 KB is refused");
}

/// A transaction sent again with its `ClientRequestToken` (the adapter's retry
/// after a timeout) is applied once: "multiple identical calls have the same
/// effect as one single call", and the token with other items is refused as
/// IdempotentParameterMismatch ("TransactWriteItems", DynamoDB API Reference).
/// moto needs scripts/moto_server.py for this; DynamoDB Local does it itself.
#[tokio::test]
async fn a_transaction_sent_again_with_its_client_token_is_applied_once() {
    use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let client = folio::dynamo_admin::client(&fixture.settings, &fixture.sdk);
    let table = &fixture.settings.table_name;
    let key = std::collections::HashMap::from([
        ("PK".to_string(), AttributeValue::S("RAW".into())),
        ("SK".to_string(), AttributeValue::S("idempotent".into())),
    ]);
    let add = |n: &str| {
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .update_expression("ADD #c :n")
                    .expression_attribute_names("#c", "Count")
                    .expression_attribute_values(":n", AttributeValue::N(n.into()))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let token = "0123456789abcdef0123456789abcdef";
    for _ in 0..2 {
        client
            .transact_write_items()
            .client_request_token(token)
            .transact_items(add("1"))
            .send()
            .await
            .expect("the same call again succeeds");
    }
    let count = |client: aws_sdk_dynamodb::Client| {
        let key = key.clone();
        let table = table.clone();
        async move {
            client
                .get_item()
                .table_name(table)
                .set_key(Some(key))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item
                .unwrap()["Count"]
                .as_n()
                .unwrap()
                .clone()
        }
    };
    assert_eq!(count(client.clone()).await, "1", "applied once");
    let other = client
        .transact_write_items()
        .client_request_token(token)
        .transact_items(add("2"))
        .send()
        .await
        .unwrap_err();
    assert!(
        format!("{other:?}").contains("IdempotentParameterMismatch"),
        "{other:?}"
    );
    client
        .transact_write_items()
        .client_request_token("fedcba9876543210fedcba9876543210")
        .transact_items(add("1"))
        .send()
        .await
        .unwrap();
    assert_eq!(count(client).await, "2", "another token is another call");
}

#[tokio::test]
async fn embedded_store_honours_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("t.redb")).unwrap();
    store_contract(&store).await;
}

#[tokio::test]
async fn dynamodb_store_honours_the_store_contract() {
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let store = fixture
        .settings
        .dynamodb_store(&fixture.sdk)
        .expect("store");
    store_contract(&store).await;
}

/// The real endpoint is HTTPS only; the local engines are plain HTTP. Through a
/// TLS proxy with a certificate authority of its own, the store keeps its
/// contract when `AWS_CA_BUNDLE` names that authority, and refuses the
/// connection, naming the setting, when it does not: Mozilla's roots are trusted
/// by default and nothing else.
#[tokio::test]
async fn dynamodb_store_honours_the_store_contract_over_tls() {
    use folio_origin::adapters::aws::dynamo::{DynamoEndpoint, DynamoStore};
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let engine = fixture
        .settings
        .dynamodb
        .url
        .clone()
        .unwrap_or_else(|| moto.endpoint.clone());
    let proxy = crate::support::tls::TlsProxy::start(&engine).await;
    let table = &fixture.settings.table_name;

    let untrusted = DynamoStore::connect(
        &fixture.sdk,
        &DynamoEndpoint {
            url: Some(proxy.endpoint.clone()),
            ca_bundle: None,
        },
        table,
    )
    .expect("store");
    match untrusted.get(&Key::new("P#1", "A")).await {
        Err(StoreError::Unavailable(message)) => {
            assert!(message.contains("AWS_CA_BUNDLE"), "{message}")
        }
        other => panic!("an unknown certificate authority is refused: {other:?}"),
    }

    let trusted = DynamoStore::connect(
        &fixture.sdk,
        &DynamoEndpoint {
            url: Some(proxy.endpoint.clone()),
            ca_bundle: Some(proxy.ca_file().to_path_buf()),
        },
        table,
    )
    .expect("store");
    store_contract(&trusted).await;
}

#[test]
fn a_ca_bundle_that_is_not_pem_certificates_is_refused_at_start_naming_the_setting() {
    use folio_origin::adapters::aws::dynamo::{DynamoEndpoint, DynamoStore};
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("bundle.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::for_tests(),
            ),
        )
        .build();
    for bundle in [not_pem, dir.path().join("missing.pem")] {
        let endpoint = DynamoEndpoint {
            url: None,
            ca_bundle: Some(bundle.clone()),
        };
        let error = DynamoStore::connect(&sdk, &endpoint, "t")
            .err()
            .expect("refused")
            .to_string();
        assert!(
            error.starts_with("setting AWS_CA_BUNDLE: ")
                && error.contains(&*bundle.to_string_lossy()),
            "{error}"
        );
    }
}

// ---------------------------------------------------------------- identity

async fn identity_contract(identity: &dyn IdentityProvider, verifier: &Verifier) {
    let email = Email::parse("email", OWNER_EMAIL).unwrap();
    let session = identity.sign_in(&email, OWNER_PASSWORD).await.unwrap();
    let who = verifier
        .verify(&session.id_token)
        .await
        .expect("issued tokens verify");
    assert!(who.is_owner, "the owner is in the owner group");
    assert_eq!(
        who.email.as_deref().or(who.username.as_deref()),
        Some(OWNER_EMAIL)
    );
    assert!(session.expires_in > 0);

    let wrong = identity.sign_in(&email, "not-the-password-1A!").await;
    assert_eq!(wrong.unwrap_err(), IdentityError::WrongCredentials);
    assert_eq!(
        IdentityError::WrongCredentials.to_string(),
        WRONG_CREDENTIALS
    );
    let stranger = Email::parse("email", "nobody@folio.test").unwrap();
    let unknown = identity.sign_in(&stranger, OWNER_PASSWORD).await;
    assert_eq!(
        unknown.unwrap_err(),
        IdentityError::WrongCredentials,
        "unknown users and wrong passwords look the same"
    );

    let refreshed = identity.refresh(&session.refresh_token).await.unwrap();
    assert!(verifier.verify(&refreshed.id_token).await.unwrap().is_owner);
    assert!(matches!(
        identity.refresh("not-a-refresh-token").await,
        Err(IdentityError::RefreshRefused(_))
    ));
    // Refresh tokens rotate: the refresh gave the next one, and the spent one is
    // refused (Cognito with RefreshTokenRotation, as template.yaml sets it).
    assert_ne!(refreshed.refresh_token, session.refresh_token, "rotated");
    assert!(
        matches!(
            identity.refresh(&session.refresh_token).await,
            Err(IdentityError::RefreshRefused(_))
        ),
        "a spent refresh token is refused"
    );

    let again = identity.sign_in(&email, OWNER_PASSWORD).await.unwrap();
    let current = identity.refresh(&again.refresh_token).await.unwrap();
    let username = who.username.clone().unwrap_or(who.subject.clone());
    identity.sign_out(&username).await.unwrap();
    assert!(
        matches!(
            identity.refresh(&current.refresh_token).await,
            Err(IdentityError::RefreshRefused(_))
        ),
        "sign-out revokes refresh tokens"
    );
    identity
        .sign_in(&email, OWNER_PASSWORD)
        .await
        .expect("signing in again works after sign-out");
}

/// The local issuer rotates refresh tokens: each refresh spends the token and
/// hands out the next; a spent one presented again (a stolen copy, or the
/// owner's after the thief refreshed) is refused and ends every session.
#[tokio::test]
async fn the_local_issuer_rotates_refresh_tokens_and_a_reused_one_ends_every_session() {
    let dir = tempfile::tempdir().unwrap();
    let local = local_with_owner(&dir).await;
    let identity = local.issuer.as_ref();
    let email = Email::parse("email", OWNER_EMAIL).unwrap();
    let first = identity.sign_in(&email, OWNER_PASSWORD).await.unwrap();
    let second = identity.refresh(&first.refresh_token).await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token, "rotated");
    let third = identity.refresh(&second.refresh_token).await.unwrap();
    match identity.refresh(&first.refresh_token).await {
        Err(IdentityError::RefreshRefused(message)) => {
            assert!(message.contains("already used"), "{message}")
        }
        other => panic!("a spent token: {other:?}"),
    }
    assert!(
        matches!(
            identity.refresh(&third.refresh_token).await,
            Err(IdentityError::RefreshRefused(_))
        ),
        "the reuse signed every session out, the newest token's too"
    );
    identity
        .sign_in(&email, OWNER_PASSWORD)
        .await
        .expect("the owner signs in again");
}

#[tokio::test]
async fn local_issuer_honours_the_identity_contract() {
    let dir = tempfile::tempdir().unwrap();
    let local = local_with_owner(&dir).await;
    identity_contract(local.issuer.as_ref(), &local.verifier).await;
}

/// Local mode in `dir`, its owner created.
async fn local_with_owner(dir: &tempfile::TempDir) -> Local {
    let local = Local::open(&LocalConfig::plain(
        dir.path().to_path_buf(),
        "http://127.0.0.1/test",
    ))
    .unwrap();
    let email = Email::parse("email", OWNER_EMAIL).unwrap();
    local
        .issuer
        .ensure_owner(&email, Some(OWNER_PASSWORD))
        .await
        .unwrap();
    local
}

#[tokio::test]
async fn cognito_honours_the_identity_contract() {
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let aws = Aws::connect(&fixture.settings, &fixture.sdk, Vec::new())
        .await
        .unwrap();
    identity_contract(aws.identity.as_ref(), &aws.verifier).await;
}

// ---------------------------------------------------------------- invalidator

/// The contract: one change's paths reach the cache, each exactly once, and a
/// change that cannot be delivered neither fails nor hangs the caller.
async fn invalidator_contract<F, Fut>(invalidator: &dyn Invalidator, delivered: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let paths = vec![
        "/v1/projects*".to_string(),
        "/v1/analytics/views/project/p1".to_string(),
        "/v1/projects*".to_string(),
    ];
    invalidator.invalidate(paths).await;
    let mut got = delivered().await;
    got.sort();
    assert_eq!(got, ["/v1/analytics/views/project/p1", "/v1/projects*"]);
}

#[tokio::test]
async fn local_purge_honours_the_invalidator_contract() {
    let purge = Arc::new(LocalPurge::new());
    let purged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&purged);
    purge.connect(move |paths| sink.lock().unwrap().extend(paths.iter().cloned()));
    invalidator_contract(purge.as_ref(), || {
        let purged = Arc::clone(&purged);
        async move { purged.lock().unwrap().clone() }
    })
    .await;
}

async fn moto_distribution(sdk: &aws_config::SdkConfig) -> String {
    use aws_sdk_cloudfront::types::{
        CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Origin, OriginProtocolPolicy,
        Origins, ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("origin")
        .domain_name("origin.example.com")
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference(crate::support::moto::uuid_suffix())
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("origin")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
                .build()
                .unwrap(),
        )
        .comment("folio test")
        .enabled(true)
        .build()
        .unwrap();
    let created = aws_sdk_cloudfront::Client::new(sdk)
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .expect("distribution created on moto");
    created.distribution().unwrap().id().to_string()
}

#[tokio::test]
async fn cloudfront_honours_the_invalidator_contract() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let distribution = moto_distribution(&sdk).await;
    let client = aws_sdk_cloudfront::Client::new(&sdk);
    let invalidator = CloudFrontInvalidator::new(client.clone(), &distribution);
    invalidator_contract(&invalidator, || async {
        let list = client
            .list_invalidations()
            .distribution_id(&distribution)
            .send()
            .await
            .unwrap();
        let summaries = list
            .invalidation_list()
            .map(|l| l.items())
            .unwrap_or_default();
        assert_eq!(summaries.len(), 1, "one CreateInvalidation per change");
        let one = client
            .get_invalidation()
            .distribution_id(&distribution)
            .id(summaries[0].id())
            .send()
            .await
            .unwrap();
        let invalidation = one.invalidation().unwrap();
        assert_eq!(invalidation.status(), "COMPLETED");
        let batch = invalidation.invalidation_batch().unwrap();
        assert!(batch.caller_reference().starts_with("folio-"));
        batch.paths().unwrap().items().to_vec()
    })
    .await;

    // A distribution that does not exist: logged and retried, never an error.
    let broken = CloudFrontInvalidator::new(client, "EDOESNOTEXIST");
    broken.invalidate(vec!["/v1/projects*".into()]).await;
}

// ---------------------------------------------------------------- media

/// The upload contract: a signed grant takes exactly the granted bytes, and the
/// object is then there to read, and a second upload through the same URL is
/// refused (412) and changes nothing. (`folio serve`'s adapter is held to the same in
/// tests/cases/publishing.rs, through its own `/media/` handler.)
async fn media_contract<F, Fut>(media: &dyn folio_origin::ports::media::MediaStore, read: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Option<Vec<u8>>>,
{
    use folio_origin::ports::media::UploadGrant;
    let png = b"\x89PNG\r\n\x1a\nnot really the rest of a png".to_vec();
    let now = chrono::Utc::now();
    let grant = UploadGrant {
        key: format!("media/{}.png", crate::support::moto::uuid_suffix()),
        content_type: "image/png".into(),
        size: png.len() as u64,
        expires: now + chrono::Duration::minutes(15),
    };
    let signed = media.sign_upload(&grant, now).await.unwrap();
    assert!(signed.url.ends_with(&grant.key), "{}", signed.url);
    let put = |body: Vec<u8>| {
        let mut put = reqwest::Client::new().put(&signed.upload_url).body(body);
        for (name, value) in &signed.headers {
            put = put.header(name, value);
        }
        put.send()
    };
    let answer = put(png.clone()).await.unwrap();
    assert!(
        answer.status().is_success(),
        "{}: {}",
        answer.status(),
        answer.text().await.unwrap_or_default()
    );
    assert_eq!(read(grant.key.clone()).await, Some(png.clone()));
    // Single-use: the same URL cannot replace the object (served `immutable`)
    // with other bytes of the same size.
    let mut other = png.clone();
    *other.last_mut().unwrap() = b'!';
    let again = put(other).await.unwrap();
    assert_eq!(again.status(), 412, "a second upload to the same URL");
    assert_eq!(read(grant.key.clone()).await, Some(png));
}

#[tokio::test]
async fn s3_presigned_uploads_honour_the_media_contract_on_moto() {
    use folio_origin::wiring::aws::MediaSettings;
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let bucket = new_moto_bucket(&moto).await;
    let http = reqwest::Client::new();
    let mut settings = fixture.settings.clone();
    settings.media = Some(MediaSettings {
        bucket: bucket.clone(),
        public_base: "https://d111111abcdef8.cloudfront.net".into(),
        endpoint: Some(moto.endpoint.clone()),
    });
    let aws = Aws::connect(&settings, &fixture.sdk, Vec::new())
        .await
        .unwrap();
    let media = aws
        .app
        .media()
        .expect("uploads are on with MEDIA_BUCKET and MEDIA_URL");
    assert_eq!(
        media.upload_origin().as_deref(),
        Some(moto.endpoint.trim_end_matches('/')),
        "the console's CSP lets the browser reach the uploads' origin"
    );
    // The bucket is private (moto answers an anonymous GET 403, as S3 does): read
    // with a presigned GET, as CloudFront's OAC reads with a signed one.
    let endpoint = url::Url::parse(&moto.endpoint).unwrap();
    let host = format!(
        "{}:{}",
        endpoint.host_str().unwrap(),
        endpoint.port().unwrap()
    );
    let credentials = folio_origin::adapters::aws::s3::AwsCredentials {
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        session_token: None,
    };
    media_contract(media.as_ref(), |key| {
        let path = format!("/{bucket}/{key}");
        let target = folio_origin::adapters::aws::s3::Target {
            scheme: "http",
            host: &host,
            path: &path,
        };
        let url = folio_origin::adapters::aws::s3::presign(
            &credentials,
            "us-east-1",
            "GET",
            &target,
            &[],
            chrono::Utc::now(),
            60,
        );
        let http = http.clone();
        async move {
            let r = http.get(&url).send().await.ok()?;
            if !r.status().is_success() {
                eprintln!(
                    "GET {url}: {} {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                );
                return None;
            }
            Some(r.bytes().await.ok()?.to_vec())
        }
    })
    .await;
}

/// The bulk commands' media contract: an object is created once and read back
/// as written; a second put of the name changes nothing and says so; a name
/// folio never issues is refused; a missing object is `None`.
async fn media_objects_contract(media: &dyn folio_origin::ports::media::MediaObjects) {
    use folio_origin::ports::media::content_name;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(crate::support::moto::uuid_suffix().as_bytes());
    let name = content_name(&png, "image/png", None).unwrap();
    assert_eq!(media.get(&name).await.unwrap(), None, "nothing there yet");
    assert!(
        media.put(&name, "image/png", &png).await.unwrap(),
        "created"
    );
    assert_eq!(media.get(&name).await.unwrap(), Some(png.clone()));
    assert!(
        !media
            .put(&name, "image/png", b"\x89PNG\r\n\x1a\nother")
            .await
            .unwrap(),
        "a second put is refused"
    );
    assert_eq!(
        media.get(&name).await.unwrap(),
        Some(png),
        "and changes nothing"
    );
    for bad in ["../escape.png", "a/b.png", "x.svg"] {
        assert!(media.get(bad).await.is_err(), "{bad}");
        assert!(media.put(bad, "image/png", b"x").await.is_err(), "{bad}");
        assert!(media.delete(bad).await.is_err(), "{bad}");
    }
    // Listed with when it was made, for the sweep; removed, and removed again.
    let copy = folio_origin::ports::media::smaller_name(&name, 480).unwrap();
    assert!(
        media
            .put(&copy, "image/webp", b"RIFF0000WEBP")
            .await
            .unwrap()
    );
    let listed = media.list().await.unwrap();
    for expected in [&name, &copy] {
        let found = listed.iter().find(|o| &o.name == expected).expect("listed");
        let age = chrono::Utc::now() - found.modified;
        assert!(age.num_seconds().abs() < 120, "{expected} made {age} ago");
    }
    media.delete(&name).await.unwrap();
    media.delete(&copy).await.unwrap();
    assert_eq!(media.get(&name).await.unwrap(), None, "removed");
    media.delete(&name).await.unwrap();
    assert!(
        !media
            .list()
            .await
            .unwrap()
            .iter()
            .any(|o| o.name == name || o.name == copy)
    );
}

/// An upload's smaller copies, over any media objects: WebP at each width
/// narrower than the image, the aspect kept, for PNG, JPEG and WebP; made once
/// (a second run writes nothing); none for an upload that is not the size its
/// name declares, or whose header declares a decompression bomb.
async fn smaller_copies_contract(media: &dyn folio_origin::ports::media::MediaObjects) {
    use crate::support::pictures::{picture, png_bomb, size_of};
    use folio_origin::ports::media::{Dimensions, content_name};
    use folio_origin::support::images::ImageError;
    use folio_origin::usecases::images::{ImagesError, make_smaller};
    let size = Dimensions {
        width: 1000,
        height: 600,
    };
    for content_type in ["image/png", "image/jpeg", "image/webp"] {
        let mut bytes = picture(content_type, size.width, size.height);
        // Each run of the contract has images of its own (a shared bucket).
        bytes.extend(crate::support::moto::uuid_suffix().as_bytes());
        let name = content_name(&bytes, content_type, Some(size)).unwrap();
        assert!(media.put(&name, content_type, &bytes).await.unwrap());
        let made = make_smaller(media, &name).await.expect(content_type);
        assert_eq!(made.dimensions, size);
        let widths: Vec<u32> = made.copies.iter().map(|(_, w)| *w).collect();
        assert_eq!(
            widths,
            vec![960, 480],
            "{content_type}: 1600 is wider than the image"
        );
        assert_eq!(made.already, 0);
        for ((copy, width), height) in made.copies.iter().zip([576, 288]) {
            assert!(
                copy.starts_with("sized/") && copy.ends_with(&format!("-{width}.webp")),
                "{copy}"
            );
            let webp = media.get(copy).await.unwrap().expect("the copy is stored");
            assert_eq!(&webp[8..12], b"WEBP", "{copy}");
            assert_eq!(size_of(&webp), (*width, height), "{copy}");
        }
        let again = make_smaller(media, &name).await.unwrap();
        assert_eq!(again.already, 2, "{content_type}: made once");
    }

    let bytes = picture("image/png", 1000, 600);
    let lying = content_name(
        &bytes,
        "image/png",
        Some(Dimensions {
            width: 800,
            height: 600,
        }),
    )
    .unwrap();
    media.put(&lying, "image/png", &bytes).await.unwrap();
    assert!(matches!(
        make_smaller(media, &lying).await,
        Err(ImagesError::NotAsDeclared {
            actual: Dimensions {
                width: 1000,
                height: 600
            },
            ..
        })
    ));

    let bomb = png_bomb(60_000, 60_000);
    let name = content_name(
        &bomb,
        "image/png",
        Some(Dimensions {
            width: 100,
            height: 100,
        }),
    )
    .unwrap();
    media.put(&name, "image/png", &bomb).await.unwrap();
    match make_smaller(media, &name).await {
        Err(ImagesError::Image {
            source: ImageError::TooLarge(_),
            ..
        }) => {}
        other => panic!("a bomb is refused on its header, not {other:?}"),
    }
    let copy = folio_origin::ports::media::smaller_name(&name, 480).unwrap();
    assert_eq!(media.get(&copy).await.unwrap(), None, "nothing made of it");
}

#[tokio::test]
async fn the_data_directory_makes_an_uploads_smaller_copies() {
    let dir = tempfile::tempdir().unwrap();
    let media = folio_origin::adapters::local::media::MediaDir {
        dir: dir.path().join("media"),
        public_base: "http://127.0.0.1:8080".into(),
    };
    smaller_copies_contract(&media).await;
}

#[tokio::test]
async fn the_data_directory_honours_the_media_objects_contract() {
    let dir = tempfile::tempdir().unwrap();
    let media = folio_origin::adapters::local::media::MediaDir {
        dir: dir.path().join("media"),
        public_base: "http://127.0.0.1:8080".into(),
    };
    media_objects_contract(&media).await;
}

/// A new, empty bucket on moto, by name.
pub(crate) async fn new_moto_bucket(moto: &Moto) -> String {
    let bucket = format!("folio-media-{}", crate::support::moto::uuid_suffix());
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", moto.endpoint))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "bucket: {}",
        created.status()
    );
    bucket
}

/// A bucket of its own on moto, and the S3 objects adapter on it.
pub(crate) async fn moto_bucket(
    moto: &Moto,
    fixture: &AwsFixture,
) -> folio_origin::adapters::aws::s3::S3Objects {
    use folio_origin::wiring::aws::MediaSettings;
    let settings = MediaSettings {
        bucket: new_moto_bucket(moto).await,
        public_base: "https://d111111abcdef8.cloudfront.net".into(),
        endpoint: Some(moto.endpoint.clone()),
    };
    let credentials = aws_config::SdkConfig::credentials_provider(&fixture.sdk).unwrap();
    folio_origin::adapters::aws::s3::S3Objects::new(settings.s3("us-east-1", credentials).unwrap())
        .unwrap()
}

#[tokio::test]
async fn s3_objects_honour_the_media_objects_contract_on_moto() {
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    media_objects_contract(&moto_bucket(&moto, &fixture).await).await;
}

#[tokio::test]
async fn s3_on_moto_gets_an_uploads_smaller_copies() {
    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    smaller_copies_contract(&moto_bucket(&moto, &fixture).await).await;
}

/// An export of `folio serve`'s store carries its images; imported into DynamoDB
/// with S3 (moto), every image is in the bucket and every link points at the
/// distribution's address instead of the old one.
#[tokio::test]
async fn an_export_moves_to_dynamodb_and_s3_with_every_image() {
    use folio_origin::ports::media::{MediaObjects, content_name};
    use folio_origin::usecases::portable::{self, Record};
    use folio_shared::domain::{BlogPost, Content, Fields};
    let dir = tempfile::tempdir().unwrap();
    let source_media = folio_origin::adapters::local::media::MediaDir {
        dir: dir.path().join("media"),
        public_base: "http://127.0.0.1:8080".into(),
    };
    let cover = b"\x89PNG\r\n\x1a\nthe cover".to_vec();
    let inline = b"GIF89a the inline one".to_vec();
    let cover_name = content_name(&cover, "image/png", None).unwrap();
    let inline_name = content_name(&inline, "image/gif", None).unwrap();
    source_media
        .put(&cover_name, "image/png", &cover)
        .await
        .unwrap();
    source_media
        .put(&inline_name, "image/gif", &inline)
        .await
        .unwrap();
    let body = serde_json::json!({
        "title": "Pictures", "excerpt": "e", "category": "c", "tags": ["t"],
        "content": format!("Look: ![x](http://127.0.0.1:8080/media/{inline_name}). And [gone](http://127.0.0.1:8080/media/gone.png)."),
        "coverImage": format!("http://127.0.0.1:8080/media/{cover_name}"),
    });
    let fields = Fields::parse(body.to_string().as_bytes(), &BlogPost::writable()).unwrap();
    let meta = serde_json::from_value(serde_json::json!({
        "id": "pictures", "status": "published",
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    let post = BlogPost::create(&fields, meta).unwrap();
    let records = vec![
        Record::Header {
            format: portable::FORMAT.into(),
            version: portable::VERSION,
        },
        Record::Blog { item: post },
    ];
    let (images, missing) =
        portable::export_media(portable::linked_media(&records).unwrap(), &source_media)
            .await
            .unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(
        missing,
        vec!["gone.png".to_string()],
        "a linked image the source lacks is named"
    );
    let text = portable::to_lines(&[records, images].concat()).unwrap();

    let moto = Moto::start();
    let fixture = AwsFixture::create(&moto, OWNER_EMAIL, OWNER_PASSWORD).await;
    let bucket = moto_bucket(&moto, &fixture).await;
    let aws = Aws::connect(&fixture.settings, &fixture.sdk, Vec::new())
        .await
        .unwrap();
    let store = aws.store.as_ref();
    let summary = portable::import(store, Some(&bucket), &text, "us-east-1", false, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (summary.created, summary.images_stored),
        (1, 2),
        "{summary}"
    );
    assert_eq!(bucket.get(&cover_name).await.unwrap(), Some(cover));
    assert_eq!(bucket.get(&inline_name).await.unwrap(), Some(inline));
    let stored = folio_origin::repo::content::get::<BlogPost>(
        store,
        &folio_shared::domain::ItemId::parse("id", "pictures").unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .item;
    let json = serde_json::to_value(&stored).unwrap();
    assert_eq!(
        json["coverImage"],
        format!("https://d111111abcdef8.cloudfront.net/media/{cover_name}")
    );
    let content = json["content"].as_str().unwrap();
    assert!(
        content.contains(&format!(
            "https://d111111abcdef8.cloudfront.net/media/{inline_name})"
        )),
        "{content}"
    );
    assert!(
        content.contains("http://127.0.0.1:8080/media/gone.png"),
        "a link to a missing image is left alone"
    );
    let again = portable::import(store, Some(&bucket), &text, "us-east-1", false, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (again.unchanged, again.images_present),
        (1, 2),
        "importing again changes nothing: {again}"
    );
}

// ---------------------------------------------------------------- catalogue cost

mod catalogue {
    //! What one request reads from the store must not grow with the catalogue:
    //! measured through a counting wrapper around the `Store` port, at two
    //! catalogue sizes, for every kind of public and owner list read.

    use super::*;
    use crate::support::counting::{CountingStore, Reads, counted_app};
    use folio_origin::http::request::Request;
    use folio_origin::repo::content as repo;
    use folio_origin::usecases::app::App;
    use folio_origin::wiring::local::LOCAL_REGION;
    use folio_shared::domain::{BlogPost, Content, Fields, Meta, Status, today_utc};
    use folio_shared::policy::CALLER_TOKEN_HEADER;
    use http::{HeaderMap, HeaderValue, Method};

    struct Catalogue {
        app: App,
        counting: Arc<CountingStore>,
        owner_token: String,
        _dir: tempfile::TempDir,
        first_id: Option<String>,
    }

    async fn open() -> Catalogue {
        let dir = tempfile::tempdir().unwrap();
        let local = local_with_owner(&dir).await;
        let email = Email::parse("email", OWNER_EMAIL).unwrap();
        let session = local.issuer.sign_in(&email, OWNER_PASSWORD).await.unwrap();
        let (app, counting) = counted_app(&local, Arc::clone(&local.app.store));
        Catalogue {
            app,
            counting,
            owner_token: session.id_token,
            _dir: dir,
            first_id: None,
        }
    }

    /// A post numbered `n`: in one of three categories, tagged `common` and with
    /// a tag of its own, every fourth one left a draft.
    fn post(n: usize) -> BlogPost {
        let category = ["Notes", "Rust", "Travel"][n % 3];
        let body = serde_json::json!({
            "title": format!("Post {n}"),
            "excerpt": "An excerpt",
            "content": format!("# Post {n}\n\n{}", "Some *Markdown* text. ".repeat(300)),
            "category": category,
            "tags": ["common", format!("own-{n}")],
        });
        let fields = Fields::parse(body.to_string().as_bytes(), &BlogPost::writable()).unwrap();
        let mut post = BlogPost::create(&fields, Meta::new_draft()).unwrap();
        if !n.is_multiple_of(4) {
            post.set_status(Status::Published, today_utc());
        }
        post
    }

    impl Catalogue {
        /// `folio migrate` on the catalogue's store.
        async fn migrate(&self) -> repo::Migrated {
            repo::migrate_all(
                self.app.store.as_ref(),
                LOCAL_REGION,
                repo::Walk::Everything,
                |_, _| {},
            )
            .await
            .unwrap()
        }

        async fn add_posts(&mut self, range: std::ops::Range<usize>) {
            for n in range {
                let created = repo::create(self.app.store.as_ref(), post(n), LOCAL_REGION)
                    .await
                    .unwrap();
                if created.status() == Status::Published && self.first_id.is_none() {
                    self.first_id = Some(created.id().to_string());
                }
            }
        }

        /// Writes the post `id` again as `change` leaves it, as an edit by the owner.
        async fn edit(&self, id: &str, change: impl FnOnce(&mut BlogPost)) {
            let id = folio_shared::domain::ItemId::parse("id", id).unwrap();
            let stored = repo::get::<BlogPost>(self.app.store.as_ref(), &id)
                .await
                .unwrap()
                .unwrap();
            let mut item = stored.item.clone();
            change(&mut item);
            repo::replace(
                self.app.store.as_ref(),
                &stored,
                item,
                LOCAL_REGION,
                &owner(),
            )
            .await
            .unwrap();
        }

        /// The store reads of one request, and its answer.
        async fn reads(&self, path_and_query: &str, owner: bool) -> (Reads, serde_json::Value) {
            let request = self.request(Method::GET, path_and_query, owner);
            self.counting.take();
            let response = folio_origin::http::handle(&self.app, request).await;
            let reads = self.counting.take();
            assert_eq!(response.status, 200, "{path_and_query}");
            let body = serde_json::from_slice(&response.body).unwrap();
            (reads, body)
        }

        fn request(&self, method: Method, path_and_query: &str, owner: bool) -> Request {
            let (path, query) = path_and_query
                .split_once('?')
                .unwrap_or((path_and_query, ""));
            let mut headers = HeaderMap::new();
            if owner {
                headers.insert(
                    CALLER_TOKEN_HEADER,
                    HeaderValue::from_str(&self.owner_token).unwrap(),
                );
            }
            Request {
                method,
                path: path.to_string(),
                query: url::form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
                headers,
                body: Vec::new(),
                client_address: "203.0.113.7".into(),
                request_id: "catalogue".into(),
            }
        }

        /// Reads per request of every list shape whose cost must stay flat.
        async fn flat_reads(&self) -> Vec<(String, Reads, u64)> {
            let views = format!(
                "/v1/analytics/views/blog/{}",
                self.first_id.as_ref().unwrap()
            );
            let mut out = Vec::new();
            for (path, owner) in [
                ("/v1/blog/posts?limit=5", false),
                ("/v1/blog/posts?limit=5&offset=5", false),
                ("/v1/blog/posts?tag=common&limit=5", false),
                ("/v1/blog/posts?category=rust&limit=5", false),
                ("/v1/blog/posts?status=draft&limit=5", true),
                ("/v1/blog/posts?status=all&tag=COMMON&limit=5", true),
                ("/v1/blog/categories", false),
                (views.as_str(), false),
            ] {
                // As a warm origin reads it: the first read of a list also reads
                // the items of its page it has not sent before, once.
                self.reads(path, owner).await;
                let (reads, body) = self.reads(path, owner).await;
                let total = body["total"].as_u64().unwrap_or(0);
                out.push((path.to_string(), reads, total));
            }
            out
        }
    }

    #[tokio::test]
    async fn list_reads_do_not_grow_with_the_catalogue() {
        let mut c = open().await;
        c.migrate().await;
        c.add_posts(0..24).await;
        let small = c.flat_reads().await;
        // A list that fits one page is one Query (of its 18 items and its head,
        // the marker and this Region's tally row): its length is its total. The
        // Query reads no item's data; the items not sent before (all but the
        // five newest, listed above) are read in one batch, and their
        // representations kept.
        c.counting.take_data_bytes();
        let (reads, body) = c.reads("/v1/blog/posts?limit=100", false).await;
        assert_eq!(body["total"], 18);
        assert_eq!(body["posts"].as_array().unwrap().len(), 18);
        assert_eq!(
            reads,
            Reads {
                rows: 20 + 13,
                calls: 2
            }
        );
        let first_time = c.counting.take_data_bytes();
        assert!(
            first_time > 13 * 6000,
            "the batch read the items: {first_time} B"
        );
        // Read again, the list sends what it kept: the one Query, no item's data.
        let (reads, again) = c.reads("/v1/blog/posts?limit=100", false).await;
        assert_eq!(again, body, "the same answer, from what was kept");
        assert_eq!(reads, Reads { rows: 20, calls: 1 });
        assert_eq!(c.counting.take_data_bytes(), 0, "no item's data read again");
        // So is a list that exactly fills its page: the row after it is asked for.
        let (reads, body) = c.reads("/v1/blog/posts?limit=18", false).await;
        assert_eq!(body["total"], 18);
        assert_eq!(reads, Reads { rows: 20, calls: 1 });
        // And a longer one: its total is read from its head, in the same Query,
        // with one item past the page.
        let (reads, body) = c.reads("/v1/blog/posts?limit=5", false).await;
        assert_eq!(body["total"], 18);
        assert_eq!(body["posts"].as_array().unwrap().len(), 5);
        assert_eq!(reads, Reads { rows: 8, calls: 1 });
        c.add_posts(24..240).await;
        let large = c.flat_reads().await;
        for ((path, few, few_total), (_, many, many_total)) in small.iter().zip(&large) {
            assert_eq!(
                few, many,
                "{path}: reads per request grew with the catalogue (24 posts, then 240)"
            );
            // At most: three statuses' tallies and index rows, then the page.
            assert!(
                many.rows <= 3 * 2 + 3 * 5 + 5 && many.calls <= 3 + 3 + 5 + 2,
                "{path}: {many:?} for a page of 5"
            );
            if path.contains("posts") && !path.contains("offset") {
                assert!(
                    many_total > few_total,
                    "{path}: totals follow the catalogue"
                );
            }
        }
        // The totals are the counts, not the page: 240 posts, 180 published.
        let (_, body) = c.reads("/v1/blog/posts?limit=1", false).await;
        assert_eq!(body["total"], 180);
        let (_, body) = c.reads("/v1/blog/posts?tag=own-7&limit=1", false).await;
        assert_eq!(body["total"], 1);
        let (_, body) = c.reads("/v1/blog/posts?status=all&limit=1", true).await;
        assert_eq!(body["total"], 240);
        let (_, body) = c
            .reads("/v1/blog/posts?category=Travel&tag=common", false)
            .await;
        assert_eq!(body["total"], 60, "80 Travel posts, 60 of them published");
        assert_eq!(body["posts"].as_array().unwrap().len(), 20);
        // An offset past the end reads the tallies alone.
        let (reads, body) = c.reads("/v1/blog/posts?offset=100000", false).await;
        assert_eq!(body["posts"].as_array().unwrap().len(), 0);
        assert_eq!(reads.calls, 1, "{reads:?}");
    }

    /// Takes a store back to what a folio before index rows wrote: content rows
    /// of layout 0, no index rows, no tallies, no marker.
    async fn as_written_before_index_rows(store: &dyn Store) {
        for kind in folio_shared::domain::ContentKind::ALL {
            for status in Status::ALL {
                delete_partition(store, folio_origin::ports::keys::tallies(kind, status)).await;
                let partition = folio_origin::ports::keys::content_by_status(kind, status);
                for row in store.query(&Query::gsi1(partition)).await.unwrap() {
                    if folio_origin::ports::keys::is_list_head(row.gsi1sk.as_deref()) {
                        continue;
                    }
                    let mut writes = vec![put(
                        Item {
                            layout: 0,
                            ..row.clone()
                        },
                        Condition::None,
                    )];
                    for facet in store
                        .query(&Query::table(
                            row.pk.clone(),
                            folio_origin::ports::keys::facet_rows(),
                        ))
                        .await
                        .unwrap()
                    {
                        writes.push(Write::Delete {
                            key: facet.key(),
                            condition: Condition::None,
                        });
                    }
                    store.transact(writes).await.unwrap();
                }
            }
        }
    }

    /// Takes a store back to what a folio before catalogue entries wrote: no
    /// entries, no marker.
    async fn as_written_before_catalogue_entries(store: &dyn Store) {
        for kind in folio_shared::domain::ContentKind::ALL {
            delete_partition(store, folio_origin::ports::keys::catalogue(kind)).await;
        }
    }

    /// Deletes every row of a table partition.
    async fn delete_partition(store: &dyn Store, partition: String) {
        for row in store
            .query(&Query::table(partition, SortKeyRange::All))
            .await
            .unwrap()
        {
            store
                .transact(vec![Write::Delete {
                    key: row.key(),
                    condition: Condition::None,
                }])
                .await
                .unwrap();
        }
    }

    impl Catalogue {
        /// The catalogue's app, reading through the counting wrapper, with a site
        /// for the sitemap to link to.
        fn app_with_site(&self) -> App {
            let site = Some(folio_origin::usecases::site::Site::at("https://jane.dev").unwrap());
            App::new(
                self.counting.clone(),
                self.app.identity.clone(),
                self.app.invalidator.clone(),
                Arc::clone(&self.app.verifier),
                LOCAL_REGION,
            )
            .with_site(site)
        }

        /// The owner's view statistics of the blog, and the bytes of `Data` they
        /// read from the store.
        async fn view_stats(&self) -> (serde_json::Map<String, serde_json::Value>, usize) {
            self.counting.take_data_bytes();
            let (_, body) = self.reads("/v1/analytics/views/blog", true).await;
            let stats = body["stats"].as_object().unwrap().clone();
            (stats, self.counting.take_data_bytes())
        }

        /// The sitemap's answer, and the bytes of `Data` it read from the store.
        async fn sitemap(&self, app: &App) -> (String, usize) {
            self.counting.take();
            self.counting.take_data_bytes();
            let response = folio_origin::http::handle(app, get_request("/v1/sitemap.xml")).await;
            assert_eq!(response.status, 200);
            let body = String::from_utf8(response.body.to_vec()).unwrap();
            (body, self.counting.take_data_bytes())
        }
    }

    fn get_request(path: &str) -> Request {
        Request {
            method: Method::GET,
            path: path.to_string(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            client_address: "203.0.113.7".into(),
            request_id: "catalogue".into(),
        }
    }

    #[tokio::test]
    async fn the_sitemap_and_the_view_statistics_read_a_small_entry_per_post_not_the_posts() {
        let mut c = open().await;
        c.migrate().await;
        c.add_posts(0..40).await;
        let app = c.app_with_site();
        let url_count = |xml: &str| xml.matches("<url>").count();
        let listed = |xml: &str, slug: &str| xml.contains(&format!("/blog/{slug}</loc>"));
        // 30 of the 40 posts are published; each post carries about 6 KB of
        // Markdown, its catalogue entry about a hundred bytes.
        let (before_unpublish, bytes) = c.sitemap(&app).await;
        assert_eq!(
            url_count(&before_unpublish),
            1 + 30,
            "the home page and every published post"
        );
        assert!(bytes < 40 * 200, "{bytes} bytes read for 40 posts");
        // Unpublishing takes a post out of it; publishing puts it back, and an
        // edit of a published post (a new slug) moves it.
        let id = folio_shared::domain::ItemId::parse("id", c.first_id.as_ref().unwrap()).unwrap();
        let store = c.app.store.as_ref();
        let stored = repo::get::<BlogPost>(store, &id).await.unwrap().unwrap();
        let old_slug = stored.item.slug.clone();
        let mut draft = stored.item.clone();
        draft.set_status(Status::Draft, today_utc());
        repo::replace(store, &stored, draft, LOCAL_REGION, &owner())
            .await
            .unwrap();
        let (xml, _) = c.sitemap(&app).await;
        assert_eq!(url_count(&xml), 30);
        assert!(listed(&before_unpublish, &old_slug));
        assert!(
            !listed(&xml, &old_slug),
            "an unpublished post leaves the sitemap"
        );
        let stored = repo::get::<BlogPost>(store, &id).await.unwrap().unwrap();
        let mut again = stored.item.clone();
        again.title = "A new title".into();
        again.set_status(Status::Published, today_utc());
        repo::replace(store, &stored, again, LOCAL_REGION, &owner())
            .await
            .unwrap();
        let (xml, _) = c.sitemap(&app).await;
        assert_eq!(url_count(&xml), 31);
        let stored = repo::get::<BlogPost>(store, &id).await.unwrap().unwrap();
        assert!(listed(&xml, &stored.item.slug), "{xml}");
        // A store from before catalogue entries: the sitemap and the statistics
        // read the posts, and say the same; `folio migrate` gives it its entries.
        let before = xml;
        let stats_before = c.view_stats().await.0;
        as_written_before_catalogue_entries(store).await;
        let (stats, bytes) = c.view_stats().await;
        assert_eq!(stats, stats_before);
        assert!(bytes > 40 * 5_000, "read from the posts: {bytes} bytes");
        let (xml, bytes) = c.sitemap(&app).await;
        assert_eq!(xml, before);
        assert!(bytes > 30 * 5_000, "read from the posts: {bytes} bytes");
        let done = c.migrate().await;
        assert_eq!(done.entries, 40);
        let (xml, bytes) = c.sitemap(&app).await;
        assert_eq!(xml, before);
        assert!(bytes < 40 * 200, "{bytes} bytes read after the migration");
        let (stats, bytes) = c.view_stats().await;
        assert_eq!(stats, stats_before);
        assert_eq!(stats.len(), 40, "every post, drafts included: {stats:?}");
        assert!(bytes < 40 * 200, "{bytes} bytes read for the statistics");
        assert_eq!(
            c.migrate().await,
            repo::Migrated {
                already: 40,
                ..repo::Migrated::default()
            },
            "run again: every entry is right, nothing is written"
        );
        // Deleting a published post takes it out of both.
        let stored = repo::get::<BlogPost>(store, &id).await.unwrap().unwrap();
        repo::delete(store, &stored, LOCAL_REGION, &owner(), Vec::new())
            .await
            .unwrap();
        let (xml, _) = c.sitemap(&app).await;
        assert_eq!(url_count(&xml), 30);
        assert!(!listed(&xml, &stored.item.slug));
        let (stats, _) = c.view_stats().await;
        assert_eq!(stats.len(), 39);
        assert!(!stats.contains_key(id.as_str()));
    }

    #[tokio::test]
    async fn migrate_mends_the_entries_of_items_an_older_folio_unpublished_or_deleted() {
        use folio_shared::domain::ContentKind;
        let mut c = open().await;
        c.migrate().await;
        c.add_posts(0..8).await;
        let store = c.app.store.as_ref();
        let (before, _) = c.view_stats().await;
        assert_eq!(before.len(), 8);
        // An older folio knows nothing of entries: it unpublishes a post by
        // writing the post alone, and deletes another with its rows but not its
        // entry.
        let ids: Vec<_> = repo::list::<BlogPost>(store, &[Status::Published])
            .await
            .unwrap()
            .into_iter()
            .map(|post| post.id().clone())
            .collect();
        let (unpublished, deleted) = (&ids[0], &ids[1]);
        let entry_of = |id| folio_origin::ports::keys::catalogue_entry(ContentKind::Blog, id);
        // What an older folio leaves: this version's change, with the entry as
        // it was before.
        let stored = repo::get::<BlogPost>(store, unpublished)
            .await
            .unwrap()
            .unwrap();
        let entry_before = store.get(&entry_of(unpublished)).await.unwrap().unwrap();
        let mut draft = stored.item.clone();
        draft.set_status(Status::Draft, today_utc());
        repo::replace(store, &stored, draft, LOCAL_REGION, &owner())
            .await
            .unwrap();
        store
            .transact(vec![put(entry_before, Condition::None)])
            .await
            .unwrap();
        let stored = repo::get::<BlogPost>(store, deleted)
            .await
            .unwrap()
            .unwrap();
        let orphan = store.get(&entry_of(deleted)).await.unwrap().unwrap();
        repo::delete(store, &stored, LOCAL_REGION, &owner(), Vec::new())
            .await
            .unwrap();
        store
            .transact(vec![put(orphan, Condition::None)])
            .await
            .unwrap();
        let (stale, _) = c.view_stats().await;
        assert!(
            stale.contains_key(deleted.as_str()),
            "the older folio's leftover"
        );

        let done = c.migrate().await;
        assert_eq!(
            (done.entries, done.orphans, done.already),
            (1, 1, 7),
            "the stale entry rewritten, the orphan removed, nothing else written"
        );
        let (after, _) = c.view_stats().await;
        assert_eq!(after.len(), 7);
        assert!(!after.contains_key(deleted.as_str()));
        let app = c.app_with_site();
        let (xml, _) = c.sitemap(&app).await;
        assert_eq!(
            xml.matches("<url>").count(),
            1 + 4,
            "the home page and the six published posts less the two: {xml}"
        );
        assert!(!xml.contains(&stored.item.slug));
    }

    #[tokio::test]
    async fn migrate_gives_an_older_store_its_index_rows_without_losing_a_count() {
        let mut c = open().await;
        c.add_posts(0..40).await;
        as_written_before_index_rows(c.app.store.as_ref()).await;
        // Before the migration lists still answer right, by reading everything.
        let (before, body) = c.reads("/v1/blog/posts?tag=common&limit=5", false).await;
        assert_eq!(body["total"], 30);
        assert!(before.rows >= 30, "{before:?}");
        // An edit of a not-yet-indexed post by this version indexes it alone.
        let first = c.first_id.clone().unwrap();
        let id = folio_shared::domain::ItemId::parse("id", &first).unwrap();
        let stored = repo::get::<BlogPost>(c.app.store.as_ref(), &id)
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.indexed);
        let mut edited = stored.item.clone();
        edited.tags.push("edited".into());
        repo::replace(
            c.app.store.as_ref(),
            &stored,
            edited,
            LOCAL_REGION,
            &owner(),
        )
        .await
        .unwrap();

        let done = c.migrate().await;
        assert_eq!((done.indexed, done.already), (39, 1));
        let again = c.migrate().await;
        assert_eq!(
            (again.indexed, again.already),
            (0, 40),
            "a second run changes nothing"
        );

        for (path, owner, total) in [
            ("/v1/blog/posts?limit=5", false, 30),
            ("/v1/blog/posts?tag=common&limit=5", false, 30),
            ("/v1/blog/posts?tag=edited&limit=5", false, 1),
            ("/v1/blog/posts?category=notes&limit=5", false, 10),
            ("/v1/blog/posts?status=draft&limit=5", true, 10),
            ("/v1/blog/posts?status=all&limit=5", true, 40),
        ] {
            let (reads, body) = c.reads(path, owner).await;
            assert_eq!(body["total"], total, "{path}");
            // At most: each status's marker and tally row, five rows of each of
            // the two statuses that hold posts.
            assert!(
                reads.rows <= 3 * 2 + 2 * 5,
                "{path}: bounded after the migration: {reads:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_first_page_reads_its_total_from_the_head_once_every_region_listed_its_tally() {
        use folio_shared::domain::ContentKind;
        let mut c = open().await;
        c.migrate().await;
        c.add_posts(0..24).await;
        let store = c.app.store.as_ref();
        let tallies = folio_origin::ports::keys::tallies(ContentKind::Blog, Status::Published);
        // As the previous folio left them: tally rows and marker not listed, and
        // another Region's row (two posts counted there) written by it too.
        let mut rows = store
            .query(&Query::table(tallies.clone(), SortKeyRange::All))
            .await
            .unwrap();
        rows.push(Item {
            sk: "REGION#eu-west-1".into(),
            tallies: [("all".to_string(), 2)].into(),
            ..rows[0].clone()
        });
        for row in rows {
            let unlisted = Item {
                gsi1pk: None,
                gsi1sk: None,
                ..row
            };
            store
                .transact(vec![put(unlisted, Condition::None)])
                .await
                .unwrap();
        }
        let list = "/v1/blog/posts?limit=5";
        // Once its items are kept (the first read also reads them in a batch):
        c.reads(list, false).await;
        let (reads, body) = c.reads(list, false).await;
        assert_eq!(body["total"], 20, "every Region's tally, summed");
        assert_eq!(reads.calls, 2, "the total from the tallies partition");

        // This Region lists its own row, not the other's: the marker stays
        // unlisted, and the total is still read from the tallies partition.
        c.migrate().await;
        let (reads, body) = c.reads(list, false).await;
        assert_eq!(body["total"], 20);
        assert_eq!(reads.calls, 2, "{reads:?}");

        // Then the other Region runs it: the whole head is listed.
        repo::migrate_all(store, "eu-west-1", repo::Walk::Everything, |_, _| {})
            .await
            .unwrap();
        let (_, body) = c.reads(list, false).await;
        assert_eq!(
            body["total"], 20,
            "a head longer than allowed for: read again"
        );
        let (reads, body) = c.reads(list, false).await;
        assert_eq!(body["total"], 20);
        assert_eq!(body["posts"].as_array().unwrap().len(), 5);
        assert_eq!(
            reads,
            Reads {
                rows: 3 + 5 + 1,
                calls: 1
            },
            "the marker, two Regions' tallies, the page and one more"
        );
    }

    #[tokio::test]
    async fn a_new_store_is_marked_indexed_by_its_first_list() {
        let mut c = open().await;
        c.add_posts(0..40).await;
        // No migration ran: the first list reads every published post, finds each
        // written with its index rows, and marks the list indexed.
        let (first, body) = c.reads("/v1/blog/posts?limit=5", false).await;
        assert_eq!(body["total"], 30);
        assert!(first.rows >= 30, "{first:?}");
        let (then, body) = c.reads("/v1/blog/posts?limit=5", false).await;
        assert_eq!(body["total"], 30);
        // One Query: the list's head, the page and the row after it, and one
        // batch read of the page's items, which are then kept.
        assert_eq!(
            then,
            Reads {
                rows: 8 + 5,
                calls: 2
            },
            "bounded once marked"
        );
        let (then, _) = c.reads("/v1/blog/posts?limit=5", false).await;
        assert_eq!(then, Reads { rows: 8, calls: 1 }, "the Query alone");
    }

    #[tokio::test]
    async fn a_post_with_fifty_tags_is_retagged_and_unpublished_in_one_transaction_each() {
        let c = open().await;
        c.migrate().await;
        let store = c.app.store.as_ref();
        let tags =
            |prefix: &str| -> Vec<String> { (0..50).map(|i| format!("{prefix}-{i}")).collect() };
        let mut first = post(1);
        first.tags = tags("first");
        let created = repo::create(store, first, LOCAL_REGION).await.unwrap();
        let id = created.id().clone();
        // Every tag replaced at once: 50 index rows rewritten in place, not 50
        // deleted and 50 put (which would pass DynamoDB's 100 actions).
        let stored = repo::get::<BlogPost>(store, &id).await.unwrap().unwrap();
        let mut retagged = stored.item.clone();
        retagged.tags = tags("second");
        repo::replace(store, &stored, retagged, LOCAL_REGION, &owner())
            .await
            .expect("retagging 50 tags fits one transaction");
        let stored = repo::get::<BlogPost>(store, &id).await.unwrap().unwrap();
        let mut draft = stored.item.clone();
        draft.set_status(Status::Draft, today_utc());
        repo::replace(store, &stored, draft, LOCAL_REGION, &owner())
            .await
            .expect("unpublishing a post of 50 tags fits one transaction");

        for (path, owner, total) in [
            ("/v1/blog/posts?tag=second-49", false, 0),
            ("/v1/blog/posts?tag=first-3", true, 0),
            ("/v1/blog/posts?status=draft&tag=second-49", true, 1),
            ("/v1/blog/posts?status=draft&tag=first-3", true, 0),
            (
                "/v1/blog/posts?status=draft&category=rust&tag=second-0",
                true,
                1,
            ),
        ] {
            let (_, body) = c.reads(path, owner).await;
            assert_eq!(body["total"], total, "{path}");
        }
        // The published tally row keeps no name counted back to zero: the 100
        // tags that came and went left nothing behind.
        let published = folio_origin::ports::keys::tally(
            folio_shared::domain::ContentKind::Blog,
            Status::Published,
            LOCAL_REGION,
        );
        let row = store.get(&published).await.unwrap().expect("the tally row");
        let left: Vec<&String> = row
            .tallies
            .iter()
            .filter(|(name, _)| name.contains("first-") || name.contains("second-"))
            .map(|(name, _)| name)
            .collect();
        assert!(left.is_empty(), "{left:?}");
        assert!(
            row.tallies.iter().all(|(name, n)| *n > 0 || name == "all"),
            "only `all` stays at zero: {:?}",
            row.tallies
        );
    }

    /// A visitor or a view this origin counted (or found counted) today is
    /// answered from what it remembers: no transaction, and the count it read a
    /// moment ago (plus its own) rather than a read. Another origin over the same
    /// store still finds the marker and counts nothing.
    #[tokio::test]
    async fn a_repeat_visit_or_view_costs_no_transaction_and_no_read_of_its_count() {
        let mut c = open().await;
        c.add_posts(1..2).await;
        let id = c.first_id.clone().unwrap();
        let track_from = |address: &str, path: &str, body: serde_json::Value| {
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::USER_AGENT,
                HeaderValue::from_static("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"),
            );
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Request {
                method: Method::POST,
                path: path.to_string(),
                query: Vec::new(),
                headers,
                body: body.to_string().into_bytes(),
                client_address: address.into(),
                request_id: "repeat".into(),
            }
        };
        let track = |path: &str, body: serde_json::Value| track_from("203.0.113.9", path, body);
        // Someone else came first today: the day's salt is made.
        let salted = track_from("198.51.100.1", "/v1/visitors/track", serde_json::json!({}));
        assert_eq!(folio_origin::http::handle(&c.app, salted).await.status, 200);
        let view = serde_json::json!({ "contentType": "blog", "contentId": id });
        // A repeat view reads the item's head (no data): a view of an item no
        // longer published answers 404 to everyone alike.
        for (path, body, field, reads) in [
            ("/v1/visitors/track", serde_json::json!({}), "count", 0),
            ("/v1/analytics/track", view, "views", 1),
        ] {
            c.counting.take();
            c.counting.take_transactions();
            let first = folio_origin::http::handle(&c.app, track(path, body.clone())).await;
            assert_eq!(first.status, 200, "{path}");
            let first: serde_json::Value = serde_json::from_slice(&first.body).unwrap();
            assert_eq!(first["tracked"], true, "{path}");
            assert_eq!(
                c.counting.take_transactions(),
                1,
                "{path}: the first is written"
            );
            c.counting.take();
            c.counting.take_data_bytes();
            let again = folio_origin::http::handle(&c.app, track(path, body.clone())).await;
            let again: serde_json::Value = serde_json::from_slice(&again.body).unwrap();
            assert_eq!(again["tracked"], false, "{path}");
            assert_eq!(again[field], first[field], "{path}: counted once");
            assert_eq!(c.counting.take_transactions(), 0, "{path}: no write again");
            assert_eq!(
                c.counting.take().calls,
                reads,
                "{path}: the count read a moment ago is reused"
            );
            assert_eq!(c.counting.take_data_bytes(), 0, "{path}: no item's data");
            // An origin that has not seen this visitor finds the marker.
            let (other, counting) = counted_app_over(&c);
            let there = folio_origin::http::handle(&other, track(path, body)).await;
            let there: serde_json::Value = serde_json::from_slice(&there.body).unwrap();
            assert_eq!(
                there["tracked"], false,
                "{path}: counted once across origins"
            );
            assert_eq!(there[field], first[field], "{path}");
            // Its write finds the marker, which says the visitor was marked
            // live a moment ago: nothing more is written.
            assert_eq!(
                counting.take_transactions(),
                1,
                "{path}: its write finds the marker"
            );
        }
    }

    /// A second origin over the catalogue's store, with nothing remembered.
    fn counted_app_over(c: &Catalogue) -> (App, Arc<CountingStore>) {
        let counting = Arc::new(CountingStore::new(Arc::clone(&c.counting) as Arc<dyn Store>));
        let app = App::new(
            counting.clone(),
            Arc::clone(&c.app.identity),
            Arc::clone(&c.app.invalidator),
            Arc::clone(&c.app.verifier),
            LOCAL_REGION,
        );
        (app, counting)
    }

    /// A post read by slug again, unchanged, costs one read of its row without
    /// its data; unpublished, it is gone for readers at once, and published
    /// again after an edit, readers get the edit.
    #[tokio::test]
    async fn a_post_read_by_slug_again_reads_no_data_and_never_an_old_answer() {
        let mut c = open().await;
        c.add_posts(1..2).await;
        let id = c.first_id.clone().unwrap();
        let (_, post) = c.reads(&format!("/v1/blog/posts/{id}"), false).await;
        let by_slug = format!("/v1/blog/posts/by-slug/{}", post["slug"].as_str().unwrap());
        let (_, first) = c.reads(&by_slug, false).await;
        c.counting.take_data_bytes();
        let (reads, again) = c.reads(&by_slug, false).await;
        assert_eq!(again, first);
        assert_eq!(reads.calls, 1);
        assert_eq!(c.counting.take_data_bytes(), 0, "the row's head only");
        let path = format!("/v1/blog/posts/{id}/unpublish");
        let r = folio_origin::http::handle(&c.app, c.request(Method::POST, &path, true)).await;
        assert_eq!(r.status, 200);
        let public = c.request(Method::GET, &by_slug, false);
        assert_eq!(folio_origin::http::handle(&c.app, public).await.status, 404);
        let (_, owners) = c.reads(&by_slug, true).await;
        assert_eq!(owners["status"], "draft");
        c.edit(&id, |item| {
            item.excerpt = "An excerpt, edited".into();
            item.set_status(Status::Published, today_utc());
        })
        .await;
        let (_, now) = c.reads(&by_slug, false).await;
        assert_eq!(now["excerpt"], "An excerpt, edited");
        assert_eq!(now["status"], "published");
    }

    /// A feed whose posts did not change is sent again for one read of their
    /// heads; a post edited since is in the next one.
    #[tokio::test]
    async fn a_feed_read_again_reads_no_post_and_shows_every_edit() {
        let mut c = open().await;
        c.add_posts(0..8).await;
        let app = c.app_with_site();
        async fn feed(app: &App) -> String {
            let response = folio_origin::http::handle(app, get_request("/v1/blog/feed.atom")).await;
            assert_eq!(response.status, 200);
            String::from_utf8(response.body.to_vec()).unwrap()
        }
        let first = feed(&app).await;
        assert_eq!(
            first.matches("<entry>").count(),
            6,
            "the six published posts"
        );
        c.counting.take();
        c.counting.take_data_bytes();
        assert_eq!(feed(&app).await, first);
        assert_eq!(c.counting.take().calls, 1);
        assert_eq!(c.counting.take_data_bytes(), 0, "no post read");
        let id = c.first_id.clone().unwrap();
        c.edit(&id, |item| item.title = "Post 1, retitled".into())
            .await;
        let edited = feed(&app).await;
        assert!(
            edited.contains("<title>Post 1, retitled</title>"),
            "{edited}"
        );
        assert_eq!(edited.matches("<entry>").count(), 6);
    }
}
