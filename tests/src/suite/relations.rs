//! Conformance cases: relations. The relation cases of LoopBack's `@loopback/repository-tests`
//! (has-many, belongs-to, has-one, has-many-through, their inclusion resolvers, multi-relation
//! inclusion), references-many inclusion, per-parent scope limits, and the number of backend
//! queries an inclusion costs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use portico_domain::{Error, Filter, Inclusion, Limits, Patch, Record, Result, Value, Where};
use portico_ports::{EntityRepository, RecordRepository, Repository};

use crate::fixtures::{
    Address, CartItem, Customer, CustomerCartItemLink, Order, OrderLine, Promotion, Shipment,
};
use crate::{Case, Ctx, HookedStore, StoreOp, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![
        has_many_creates_an_instance_of_the_related_model,
        has_many_finds_instances_of_the_related_model,
        has_many_finds_with_a_non_id_source_key,
        has_many_patches_many_instances,
        has_many_refuses_a_patch_changing_the_foreign_key,
        has_many_refuses_a_create_with_another_foreign_key,
        has_many_deletes_many_instances,
        has_many_does_not_delete_instances_of_other_sources,
        has_many_create_for_a_missing_source_is_not_found,
        navigational_properties_are_refused_in_written_data,
        belongs_to_finds_the_customer_of_an_order,
        belongs_to_finds_the_shipment_through_custom_keys,
        belongs_to_without_a_foreign_key_is_not_found,
        belongs_to_a_deleted_target_is_not_found,
        has_one_creates_and_gets_the_related_instance,
        has_one_reports_not_found_when_the_related_instance_is_deleted,
        has_one_patches_only_the_related_instance,
        has_one_refuses_a_patch_changing_the_foreign_key,
        has_one_deletes_only_the_related_instance,
        has_many_through_creates_the_target_and_the_link,
        has_many_through_finds_patches_and_deletes_with_their_links,
        has_many_through_links_and_unlinks,
        inclusion_of_an_unknown_relation_is_invalid_filter_listing_the_known_ones,
        inclusion_in_a_scope_of_an_unknown_relation_is_invalid_filter,
        has_many_inclusion_returns_related_instances_per_parent,
        has_many_inclusion_works_in_find_by_id_and_find_one,
        has_many_inclusion_reflects_updates,
        belongs_to_inclusion_handles_null_foreign_keys,
        has_one_inclusion_returns_the_related_instance,
        has_many_through_inclusion_returns_linked_targets,
        references_many_inclusion_returns_referenced_targets_in_order,
        inclusion_scope_applies_where_fields_and_order,
        inclusion_scope_limit_and_skip_apply_per_parent,
        typed_inclusion_refuses_a_scope_leaving_out_a_required_property,
        nested_inclusion_resolves_every_level,
        multiple_relations_are_included_together,
        a_relation_included_again_keeps_the_first_inclusion,
        untyped_inclusion_renders_navigational_properties,
        inclusion_costs_one_query_per_level,
        inclusion_split_into_several_queries_keeps_the_scope_order_and_page,
    ]
}

/// Seeds two customers with orders: `a` has o1, o2; `b` has o3.
async fn two_customers(ctx: &Ctx) -> Result<(Customer, Customer)> {
    let customers = ctx.repo::<Customer>();
    let a = customers.create(Customer::new("a")).await?;
    let b = customers.create(Customer::new("b")).await?;
    ctx.repo::<Order>()
        .create_all(vec![
            Order::new("o1", a.id),
            Order::new("o2", a.id),
            Order::new("o3", b.id),
        ])
        .await?;
    Ok((a, b))
}

fn descriptions(orders: &[Order]) -> Vec<&str> {
    orders.iter().map(|o| o.description.as_str()).collect()
}

fn id(c: &Customer) -> i64 {
    c.id.expect("a stored customer has an id")
}

async fn has_many_creates_an_instance_of_the_related_model(ctx: Ctx) -> TestResult {
    let a = ctx.repo::<Customer>().create(Customer::new("a")).await?;
    let orders = ctx
        .repo::<Customer>()
        .has_many::<Order>("orders", id(&a))
        .await?;
    let created = orders.create(Order::new("order 1", None)).await?;
    assert_eq!(created.customer_id, a.id, "the foreign key is set");
    let stored = ctx
        .repo::<Order>()
        .find_by_id(created.id.ok_or("no id")?, None)
        .await?;
    assert_eq!(stored, created);
    Ok(())
}

async fn has_many_finds_instances_of_the_related_model(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let customers = ctx.repo::<Customer>();
    let of_a = customers.has_many::<Order>("orders", id(&a)).await?;
    assert_eq!(descriptions(&of_a.find(Filter::new()).await?), ["o1", "o2"]);
    let filtered = of_a
        .find(Filter::new().where_(Order::FIELDS.description.eq("o2")))
        .await?;
    assert_eq!(descriptions(&filtered), ["o2"]);
    let of_b = customers.has_many::<Order>("orders", id(&b)).await?;
    assert_eq!(descriptions(&of_b.find(Filter::new()).await?), ["o3"]);
    Ok(())
}

async fn has_many_finds_with_a_non_id_source_key(ctx: Ctx) -> TestResult {
    let a = ctx.repo::<Customer>().create(Customer::new("ann")).await?;
    let mut order = Order::new("by name", None);
    order.customer_name = Some("ann".into());
    ctx.repo::<Order>()
        .create_all(vec![order, Order::new("other", None)])
        .await?;
    let by_name = ctx
        .repo::<Customer>()
        .has_many::<Order>("ordersByName", id(&a))
        .await?;
    assert_eq!(
        descriptions(&by_name.find(Filter::new()).await?),
        ["by name"]
    );
    let created = by_name.create(Order::new("new", None)).await?;
    assert_eq!(created.customer_name.as_deref(), Some("ann"));
    let found = ctx
        .repo::<Customer>()
        .find_by_id(id(&a), Some(Filter::new().include("ordersByName")))
        .await?;
    assert_eq!(
        descriptions(found.orders_by_name.as_deref().ok_or("not included")?),
        ["by name", "new"]
    );
    Ok(())
}

async fn has_many_patches_many_instances(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let of_a = ctx
        .repo::<Customer>()
        .has_many::<Order>("orders", id(&a))
        .await?;
    let patched = of_a
        .patch(Patch::new().set(Order::FIELDS.is_shipped, true), None)
        .await?;
    assert_eq!(patched, 2);
    let shipped = ctx
        .repo::<Order>()
        .count(Some(Order::FIELDS.is_shipped.eq(true)))
        .await?;
    assert_eq!(shipped, 2, "the order of {b:?} is untouched");
    Ok(())
}

async fn has_many_refuses_a_patch_changing_the_foreign_key(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let of_a = ctx
        .repo::<Customer>()
        .has_many::<Order>("orders", id(&a))
        .await?;
    let err = of_a
        .patch(Patch::new().set(Order::FIELDS.customer_id, id(&b)), None)
        .await
        .expect_err("the foreign key cannot change");
    assert!(
        matches!(err, Error::InvalidBody(ref m) if m == "Property \"customerId\" cannot be changed!"),
        "{err:?}"
    );
    let same = of_a
        .patch(Patch::new().set(Order::FIELDS.customer_id, id(&a)), None)
        .await?;
    assert_eq!(same, 2, "setting it to its own value is fine");
    Ok(())
}

async fn has_many_refuses_a_create_with_another_foreign_key(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let of_a = ctx
        .repo::<Customer>()
        .has_many::<Order>("orders", id(&a))
        .await?;
    let err = of_a
        .create(Order::new("wrong", b.id))
        .await
        .expect_err("another customer's key is refused");
    assert!(matches!(err, Error::InvalidBody(_)), "{err:?}");
    assert_eq!(ctx.repo::<Order>().count(None).await?, 3);
    Ok(())
}

async fn has_many_deletes_many_instances(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let of_a = ctx
        .repo::<Customer>()
        .has_many::<Order>("orders", id(&a))
        .await?;
    assert_eq!(
        of_a.delete(Some(Order::FIELDS.description.eq("o1")))
            .await?,
        1
    );
    assert_eq!(of_a.delete(None).await?, 1);
    assert!(of_a.find(Filter::new()).await?.is_empty());
    Ok(())
}

async fn has_many_does_not_delete_instances_of_other_sources(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let customers = ctx.repo::<Customer>();
    let of_a = customers.has_many::<Order>("orders", id(&a)).await?;
    assert_eq!(
        of_a.delete(Some(Order::FIELDS.description.eq("o3")))
            .await?,
        0,
        "o3 belongs to b"
    );
    let of_b = customers.has_many::<Order>("orders", id(&b)).await?;
    assert_eq!(descriptions(&of_b.find(Filter::new()).await?), ["o3"]);
    Ok(())
}

async fn has_many_create_for_a_missing_source_is_not_found(ctx: Ctx) -> TestResult {
    let orders = ctx
        .repo::<Customer>()
        .has_many::<Order>("orders", 999)
        .await?;
    let err = orders
        .create(Order::new("orphan", None))
        .await
        .expect_err("no orphans");
    assert!(
        matches!(err, Error::NotFound { ref entity, .. } if entity == "Customer"),
        "{err:?}"
    );
    assert_eq!(ctx.repo::<Order>().count(None).await?, 0);
    Ok(())
}

async fn navigational_properties_are_refused_in_written_data(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let customers = ctx.records::<Customer>();
    let mut record = Record::new();
    record.insert("name".into(), "x".into());
    record.insert("orders".into(), Value::Array(Vec::new()));
    let is_nav_error = |err: &Error| matches!(err, Error::InvalidBody(m) if m.contains("Navigational properties are not allowed") && m.contains("\"orders\""));
    let err = customers.create(record.clone()).await.expect_err("create");
    assert!(is_nav_error(&err), "{err:?}");
    let err = customers
        .create_all(vec![record.clone()])
        .await
        .expect_err("create_all");
    assert!(is_nav_error(&err), "{err:?}");
    let err = customers
        .update_by_id(id(&a).into(), record.clone())
        .await
        .expect_err("update_by_id");
    assert!(is_nav_error(&err), "{err:?}");
    let err = customers
        .update_all(record.clone(), None)
        .await
        .expect_err("update_all");
    assert!(is_nav_error(&err), "{err:?}");
    let err = customers
        .replace_by_id(id(&a).into(), record)
        .await
        .expect_err("replace_by_id");
    assert!(is_nav_error(&err), "{err:?}");
    let stored = ctx.repo::<Customer>().find_by_id(id(&a), None).await?;
    assert_eq!(stored.name, "a", "nothing changed");
    Ok(())
}

async fn belongs_to_finds_the_customer_of_an_order(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let order = ctx
        .repo::<Order>()
        .find_one(Filter::new().where_(Order::FIELDS.description.eq("o1")))
        .await?
        .ok_or("o1")?;
    let customer = ctx
        .repo::<Order>()
        .belongs_to::<Customer>("customer", order.id.ok_or("id")?)
        .await?
        .get()
        .await?;
    assert_eq!(customer, a);
    Ok(())
}

async fn belongs_to_finds_the_shipment_through_custom_keys(ctx: Ctx) -> TestResult {
    let shipment = ctx
        .repo::<Shipment>()
        .create(Shipment {
            id: None,
            shipment_id: "S-1".into(),
            name: "by sea".into(),
        })
        .await?;
    let mut order = Order::new("shipped", None);
    order.shipment_info = Some("S-1".into());
    let order = ctx.repo::<Order>().create(order).await?;
    let found = ctx
        .repo::<Order>()
        .belongs_to::<Shipment>("shipment", order.id.ok_or("id")?)
        .await?
        .get()
        .await?;
    assert_eq!(found, shipment);
    Ok(())
}

async fn belongs_to_without_a_foreign_key_is_not_found(ctx: Ctx) -> TestResult {
    let order = ctx
        .repo::<Order>()
        .create(Order::new("loose", None))
        .await?;
    let err = ctx
        .repo::<Order>()
        .belongs_to::<Customer>("customer", order.id.ok_or("id")?)
        .await?
        .get()
        .await
        .expect_err("no customer");
    assert!(
        matches!(err, Error::NotFound { ref entity, .. } if entity == "Customer"),
        "{err:?}"
    );
    let err = ctx
        .repo::<Order>()
        .belongs_to::<Customer>("customer", 999)
        .await
        .expect_err("no order 999");
    assert!(
        matches!(err, Error::NotFound { ref entity, .. } if entity == "Order"),
        "{err:?}"
    );
    Ok(())
}

async fn belongs_to_a_deleted_target_is_not_found(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    ctx.repo::<Customer>().delete_by_id(id(&a)).await?;
    let order = ctx
        .repo::<Order>()
        .find_one(Filter::new().where_(Order::FIELDS.description.eq("o1")))
        .await?
        .ok_or("o1")?;
    let err = ctx
        .repo::<Order>()
        .belongs_to::<Customer>("customer", order.id.ok_or("id")?)
        .await?
        .get()
        .await
        .expect_err("the customer is gone");
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Customer" && id.contains(&a.id.unwrap_or_default().to_string())),
        "{err:?}"
    );
    Ok(())
}

fn address(street: &str) -> Address {
    Address {
        id: None,
        street: street.into(),
        customer_id: None,
    }
}

async fn has_one_creates_and_gets_the_related_instance(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let of_a = ctx
        .repo::<Customer>()
        .has_one::<Address>("address", id(&a))
        .await?;
    let created = of_a.create(address("1 Main St")).await?;
    assert_eq!(created.customer_id, a.id);
    assert_eq!(of_a.get(None).await?, created);
    let projected = of_a
        .records()
        .get(Some(Filter::new().fields(["street"])))
        .await?;
    assert_eq!(projected.get("street"), Some(&Value::from("1 Main St")));
    assert_eq!(projected.get("id"), None);
    Ok(())
}

async fn has_one_reports_not_found_when_the_related_instance_is_deleted(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let of_a = ctx
        .repo::<Customer>()
        .has_one::<Address>("address", id(&a))
        .await?;
    let created = of_a.create(address("1 Main St")).await?;
    ctx.repo::<Address>()
        .delete_by_id(created.id.ok_or("id")?)
        .await?;
    let err = of_a.get(None).await.expect_err("deleted");
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Address" && id.contains("customerId")),
        "{err:?}"
    );
    Ok(())
}

async fn has_one_patches_only_the_related_instance(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let customers = ctx.repo::<Customer>();
    let of_a = customers.has_one::<Address>("address", id(&a)).await?;
    let of_b = customers.has_one::<Address>("address", id(&b)).await?;
    of_a.create(address("a street")).await?;
    of_b.create(address("b street")).await?;
    assert_eq!(
        of_a.patch(Patch::new().set(Address::FIELDS.street, "new a"))
            .await?,
        1
    );
    assert_eq!(of_a.get(None).await?.street, "new a");
    assert_eq!(of_b.get(None).await?.street, "b street");
    Ok(())
}

async fn has_one_refuses_a_patch_changing_the_foreign_key(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let of_a = ctx
        .repo::<Customer>()
        .has_one::<Address>("address", id(&a))
        .await?;
    of_a.create(address("a street")).await?;
    let err = of_a
        .patch(Patch::new().set(Address::FIELDS.customer_id, id(&b)))
        .await
        .expect_err("the key cannot change");
    assert!(matches!(err, Error::InvalidBody(_)), "{err:?}");
    Ok(())
}

async fn has_one_deletes_only_the_related_instance(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let customers = ctx.repo::<Customer>();
    let of_a = customers.has_one::<Address>("address", id(&a)).await?;
    let of_b = customers.has_one::<Address>("address", id(&b)).await?;
    of_a.create(address("a street")).await?;
    of_b.create(address("b street")).await?;
    assert_eq!(of_a.delete().await?, 1);
    assert!(matches!(of_a.get(None).await, Err(Error::NotFound { .. })));
    assert_eq!(of_b.get(None).await?.street, "b street");
    Ok(())
}

fn cart_item(description: &str) -> CartItem {
    CartItem {
        id: None,
        description: description.into(),
    }
}

async fn has_many_through_creates_the_target_and_the_link(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let items = ctx
        .repo::<Customer>()
        .has_many_through::<CartItem>("cartItems", id(&a))
        .await?;
    let created = items.create(cart_item("apple")).await?;
    let links = ctx
        .repo::<CustomerCartItemLink>()
        .find(Filter::new())
        .await?;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].customer_id, a.id);
    assert_eq!(links[0].cart_item_id, created.id);
    let mut link_data = Record::new();
    link_data.insert("quantity".into(), Value::Int(3));
    items
        .records()
        .create(
            portico_domain::Entity::to_record(&cart_item("pear")),
            Some(link_data),
        )
        .await?;
    let quantities: Vec<Option<i64>> = ctx
        .repo::<CustomerCartItemLink>()
        .find(Filter::new())
        .await?
        .into_iter()
        .map(|l| l.quantity)
        .collect();
    assert_eq!(
        quantities,
        [None, Some(3)],
        "link data is stored on the link"
    );
    Ok(())
}

async fn has_many_through_finds_patches_and_deletes_with_their_links(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let customers = ctx.repo::<Customer>();
    let of_a = customers
        .has_many_through::<CartItem>("cartItems", id(&a))
        .await?;
    let of_b = customers
        .has_many_through::<CartItem>("cartItems", id(&b))
        .await?;
    of_a.create(cart_item("a1")).await?;
    of_a.create(cart_item("a2")).await?;
    of_b.create(cart_item("b1")).await?;
    let names = |items: Vec<CartItem>| -> Vec<String> {
        items.into_iter().map(|i| i.description).collect()
    };
    assert_eq!(names(of_a.find(Filter::new()).await?), ["a1", "a2"]);
    assert_eq!(
        of_a.patch(
            Patch::new().set(CartItem::FIELDS.description, "patched"),
            Some(CartItem::FIELDS.description.eq("a2"))
        )
        .await?,
        1
    );
    assert_eq!(names(of_a.find(Filter::new()).await?), ["a1", "patched"]);
    assert_eq!(names(of_b.find(Filter::new()).await?), ["b1"]);
    assert_eq!(of_a.delete(None).await?, 2);
    assert!(of_a.find(Filter::new()).await?.is_empty());
    assert_eq!(ctx.repo::<CartItem>().count(None).await?, 1, "b1 stays");
    assert_eq!(
        ctx.repo::<CustomerCartItemLink>().count(None).await?,
        1,
        "the deleted items' links went with them"
    );
    Ok(())
}

async fn has_many_through_links_and_unlinks(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let item = ctx.repo::<CartItem>().create(cart_item("shared")).await?;
    let of_a = ctx
        .repo::<Customer>()
        .has_many_through::<CartItem>("cartItems", id(&a))
        .await?;
    of_a.link(item.id.ok_or("id")?).await?;
    assert_eq!(of_a.find(Filter::new()).await?, std::slice::from_ref(&item));
    assert_eq!(of_a.unlink(item.id.ok_or("id")?).await?, 1);
    assert!(of_a.find(Filter::new()).await?.is_empty());
    assert_eq!(
        ctx.repo::<CartItem>().count(None).await?,
        1,
        "unlink keeps the target"
    );
    let err = of_a.link(999).await.expect_err("no such item");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    of_a.link(item.id.ok_or("id")?).await?;
    assert_eq!(of_a.unlink_all().await?, 1);
    Ok(())
}

async fn inclusion_of_an_unknown_relation_is_invalid_filter_listing_the_known_ones(
    ctx: Ctx,
) -> TestResult {
    two_customers(&ctx).await?;
    let err = ctx
        .repo::<Customer>()
        .find(Filter::new().include("nope").include("orders"))
        .await
        .expect_err("unknown relation");
    let Error::InvalidFilter(errors) = &err else {
        return Err(format!("{err:?}").into());
    };
    assert_eq!(errors.0.len(), 1, "{errors:?}");
    assert_eq!(errors.0[0].path, "/include/0");
    assert_eq!(errors.0[0].code, "unknownRelation");
    assert!(
        errors.0[0]
            .message
            .contains("orders, ordersByName, address, cartItems, promotions"),
        "{}",
        errors.0[0].message
    );
    Ok(())
}

async fn inclusion_in_a_scope_of_an_unknown_relation_is_invalid_filter(ctx: Ctx) -> TestResult {
    let err = ctx
        .repo::<Customer>()
        .find(
            Filter::new().include(Inclusion::scoped(
                "orders",
                Filter::new()
                    .include("nope")
                    .where_(Where::cond("bogus", portico_domain::Op::Eq(Value::Int(1)))),
            )),
        )
        .await
        .expect_err("unknown nested relation");
    let Error::InvalidFilter(errors) = &err else {
        return Err(format!("{err:?}").into());
    };
    let paths: Vec<&str> = errors.0.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/include/0/scope/where/bogus", "/include/0/scope/include/0"]
    );
    Ok(())
}

async fn has_many_inclusion_returns_related_instances_per_parent(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let lonely = ctx.repo::<Customer>().create(Customer::new("c")).await?;
    let found = ctx
        .repo::<Customer>()
        .find(Filter::new().include("orders"))
        .await?;
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].id, a.id);
    assert_eq!(
        descriptions(found[0].orders.as_deref().ok_or("included")?),
        ["o1", "o2"]
    );
    assert_eq!(found[1].id, b.id);
    assert_eq!(
        descriptions(found[1].orders.as_deref().ok_or("included")?),
        ["o3"]
    );
    assert_eq!(found[2].id, lonely.id);
    assert_eq!(
        found[2].orders,
        Some(Vec::new()),
        "a parent without children gets an empty list"
    );
    assert_eq!(found[0].address, None, "not included, not set");
    Ok(())
}

async fn has_many_inclusion_works_in_find_by_id_and_find_one(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let customers = ctx.repo::<Customer>();
    let by_id = customers
        .find_by_id(id(&b), Some(Filter::new().include("orders")))
        .await?;
    assert_eq!(
        descriptions(by_id.orders.as_deref().ok_or("included")?),
        ["o3"]
    );
    let one = customers
        .find_one(
            Filter::new()
                .where_(Customer::FIELDS.name.eq("a"))
                .include("orders"),
        )
        .await?
        .ok_or("a")?;
    assert_eq!(one.id, a.id);
    assert_eq!(
        descriptions(one.orders.as_deref().ok_or("included")?),
        ["o1", "o2"]
    );
    Ok(())
}

async fn has_many_inclusion_reflects_updates(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let customers = ctx.repo::<Customer>();
    customers
        .update_by_id(id(&a), Patch::new().set(Customer::FIELDS.name, "renamed"))
        .await?;
    let mut saved = customers.find_by_id(id(&a), None).await?;
    saved.name = "saved".into();
    customers.save(saved).await?;
    let found = customers
        .find_by_id(id(&a), Some(Filter::new().include("orders")))
        .await?;
    assert_eq!(found.name, "saved");
    assert_eq!(
        descriptions(found.orders.as_deref().ok_or("included")?),
        ["o1", "o2"]
    );
    Ok(())
}

async fn belongs_to_inclusion_handles_null_foreign_keys(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    ctx.repo::<Order>()
        .create(Order::new("loose", None))
        .await?;
    let orders = ctx
        .repo::<Order>()
        .find(Filter::new().include("customer"))
        .await?;
    let customers: Vec<Option<&str>> = orders
        .iter()
        .map(|o| o.customer.as_ref().map(|c| c.name.as_str()))
        .collect();
    assert_eq!(customers, [Some("a"), Some("a"), Some("b"), None]);
    assert_eq!(orders[0].customer.as_deref().map(|c| c.id), Some(a.id));
    assert_eq!(orders[2].customer.as_deref().map(|c| c.id), Some(b.id));
    Ok(())
}

async fn has_one_inclusion_returns_the_related_instance(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let created = ctx
        .repo::<Customer>()
        .has_one::<Address>("address", id(&a))
        .await?
        .create(address("1 Main St"))
        .await?;
    let found = ctx
        .repo::<Customer>()
        .find(Filter::new().include("address"))
        .await?;
    assert_eq!(found[0].address.as_deref(), Some(&created));
    assert_eq!(found[1].address, None);
    Ok(())
}

async fn has_many_through_inclusion_returns_linked_targets(ctx: Ctx) -> TestResult {
    let (a, b) = two_customers(&ctx).await?;
    let customers = ctx.repo::<Customer>();
    let of_a = customers
        .has_many_through::<CartItem>("cartItems", id(&a))
        .await?;
    let of_b = customers
        .has_many_through::<CartItem>("cartItems", id(&b))
        .await?;
    let shared = of_a.create(cart_item("shared")).await?;
    of_a.create(cart_item("a only")).await?;
    of_b.link(shared.id.ok_or("id")?).await?;
    let found = customers
        .find(Filter::new().include(Inclusion::scoped(
            "cartItems",
            Filter::new().order(CartItem::FIELDS.description.desc()),
        )))
        .await?;
    let names = |c: &Customer| -> Vec<String> {
        c.cart_items
            .iter()
            .flatten()
            .map(|i| i.description.clone())
            .collect()
    };
    assert_eq!(names(&found[0]), ["shared", "a only"]);
    assert_eq!(names(&found[1]), ["shared"]);
    Ok(())
}

async fn references_many_inclusion_returns_referenced_targets_in_order(ctx: Ctx) -> TestResult {
    let promotions = ctx
        .repo::<Promotion>()
        .create_all(
            ["p1", "p2", "p3"]
                .iter()
                .map(|n| Promotion {
                    id: None,
                    name: (*n).into(),
                })
                .collect(),
        )
        .await?;
    let ids: Vec<i64> = promotions.iter().filter_map(|p| p.id).collect();
    let mut c = Customer::new("c");
    c.promotion_ids = Some(vec![ids[2], ids[0]]);
    ctx.repo::<Customer>().create(c).await?;
    ctx.repo::<Customer>().create(Customer::new("none")).await?;
    let found = ctx
        .repo::<Customer>()
        .find(Filter::new().include("promotions"))
        .await?;
    let names: Vec<Vec<String>> = found
        .iter()
        .map(|c| {
            c.promotions
                .iter()
                .flatten()
                .map(|p| p.name.clone())
                .collect()
        })
        .collect();
    assert_eq!(
        names,
        [vec!["p1".to_owned(), "p3".to_owned()], vec![]],
        "targets in the scope's order (by id)"
    );
    Ok(())
}

async fn inclusion_scope_applies_where_fields_and_order(ctx: Ctx) -> TestResult {
    two_customers(&ctx).await?;
    let found = ctx
        .records::<Customer>()
        .find(
            Filter::new().include(Inclusion::scoped(
                "orders",
                Filter::new()
                    .where_(Order::FIELDS.description.neq("o3"))
                    .fields(["description"])
                    .order(Order::FIELDS.description.desc()),
            )),
        )
        .await?;
    let orders = |r: &Record| -> Vec<Record> {
        match r.get("orders") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::Object(o) => Some(o.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let of_a = orders(&found[0]);
    let descs: Vec<Option<&Value>> = of_a.iter().map(|o| o.get("description")).collect();
    assert_eq!(descs, [Some(&"o2".into()), Some(&"o1".into())]);
    assert_eq!(of_a[0].get("isShipped"), None, "fields applies");
    assert!(orders(&found[1]).is_empty(), "where applies");
    Ok(())
}

async fn a_relation_included_again_keeps_the_first_inclusion(ctx: Ctx) -> TestResult {
    let customers = ctx.repo::<Customer>();
    let c = customers.create(Customer::new("a")).await?;
    let orders = ["a1", "a2", "a3"].map(|d| Order::new(d, c.id));
    ctx.repo::<Order>().create_all(orders.to_vec()).await?;
    let first = Filter::new()
        .order(Order::FIELDS.description.desc())
        .limit(1);
    let found = customers
        .find(
            Filter::new()
                .include(Inclusion::scoped("orders", first))
                .include("orders"),
        )
        .await?;
    assert_eq!(
        descriptions(found[0].orders.as_deref().unwrap_or_default()),
        ["a3"],
        "the first inclusion's scope decides"
    );
    Ok(())
}

async fn inclusion_scope_limit_and_skip_apply_per_parent(ctx: Ctx) -> TestResult {
    let customers = ctx.repo::<Customer>();
    let mut orders = Vec::new();
    for name in ["a", "b", "c"] {
        let c = customers.create(Customer::new(name)).await?;
        for n in 1..=4 {
            orders.push(Order::new(&format!("{name}{n}"), c.id));
        }
    }
    ctx.repo::<Order>().create_all(orders).await?;
    let found = customers
        .find(
            Filter::new().include(Inclusion::scoped(
                "orders",
                Filter::new()
                    .order(Order::FIELDS.description.desc())
                    .skip(1)
                    .limit(2),
            )),
        )
        .await?;
    let per_parent: Vec<Vec<&str>> = found
        .iter()
        .map(|c| descriptions(c.orders.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        per_parent,
        [["a3", "a2"], ["b3", "b2"], ["c3", "c2"]],
        "limit and skip are per parent, not over all orders"
    );
    Ok(())
}

async fn typed_inclusion_refuses_a_scope_leaving_out_a_required_property(ctx: Ctx) -> TestResult {
    two_customers(&ctx).await?;
    let scoped = || {
        Filter::new().include(Inclusion::scoped(
            "orders",
            Filter::new().fields(["isShipped"]),
        ))
    };
    let err = ctx
        .repo::<Customer>()
        .find(scoped())
        .await
        .expect_err("Order needs its description");
    assert!(
        matches!(err, Error::InvalidFilter(ref e) if e.0[0].message.contains("'description'")),
        "{err:?}"
    );
    let records = ctx.records::<Customer>().find(scoped()).await?;
    assert_eq!(records.len(), 2, "the record repository has no such need");
    Ok(())
}

async fn nested_inclusion_resolves_every_level(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    let orders = ctx.repo::<Order>().find(Filter::new()).await?;
    ctx.repo::<OrderLine>()
        .create_all(
            orders
                .iter()
                .enumerate()
                .map(|(i, o)| OrderLine {
                    id: None,
                    order_id: o.id,
                    quantity: i as i64 + 1,
                })
                .collect(),
        )
        .await?;
    let found = ctx
        .repo::<Customer>()
        .find_by_id(
            id(&a),
            Some(Filter::new().include(Inclusion::scoped(
                "orders",
                Filter::new().include("lines").include("customer"),
            ))),
        )
        .await?;
    let of_a = found.orders.as_deref().ok_or("included")?;
    let quantities: Vec<Vec<i64>> = of_a
        .iter()
        .map(|o| o.lines.iter().flatten().map(|l| l.quantity).collect())
        .collect();
    assert_eq!(quantities, [[1], [2]]);
    assert!(
        of_a.iter()
            .all(|o| o.customer.as_deref().map(|c| c.id) == Some(a.id)),
        "the nested belongs-to points back"
    );
    Ok(())
}

async fn multiple_relations_are_included_together(ctx: Ctx) -> TestResult {
    let (a, _) = two_customers(&ctx).await?;
    ctx.repo::<Customer>()
        .has_one::<Address>("address", id(&a))
        .await?
        .create(address("1 Main St"))
        .await?;
    let json = serde_json::json!({
        "include": ["orders", {"relation": "address"}],
        "where": {"name": "a"}
    });
    let found = ctx
        .repo::<Customer>()
        .find(Filter::from_json(&json).map_err(|e| e.to_string())?)
        .await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].orders.as_ref().map(Vec::len), Some(2));
    assert_eq!(
        found[0].address.as_deref().map(|a| a.street.as_str()),
        Some("1 Main St")
    );
    Ok(())
}

async fn untyped_inclusion_renders_navigational_properties(ctx: Ctx) -> TestResult {
    two_customers(&ctx).await?;
    let records = ctx.records::<Order>();
    let found = records
        .find(
            Filter::new()
                .include("customer")
                .fields(["description"])
                .limit(1),
        )
        .await?;
    let json = records.model().to_public_json(&found[0]);
    assert_eq!(
        json,
        serde_json::json!({
            "description": "o1",
            "customerId": 1,
            "customer": {"id": 1, "name": "a"}
        }),
        "the foreign key is selected so the relation resolves"
    );
    Ok(())
}

async fn inclusion_costs_one_query_per_level(ctx: Ctx) -> TestResult {
    let customers = ctx
        .repo::<Customer>()
        .create_all(
            (0..100)
                .map(|i| Customer::new(&format!("c{i:03}")))
                .collect(),
        )
        .await?;
    let orders = ctx
        .repo::<Order>()
        .create_all(
            customers
                .iter()
                .flat_map(|c| (0..10).map(move |j| Order::new(&format!("o{j}"), c.id)))
                .collect(),
        )
        .await?;
    ctx.repo::<OrderLine>()
        .create_all(
            orders
                .iter()
                .flat_map(|o| {
                    (1..=2).map(move |q| OrderLine {
                        id: None,
                        order_id: o.id,
                        quantity: q,
                    })
                })
                .collect(),
        )
        .await?;
    let reads = Arc::new(AtomicUsize::new(0));
    let counted = reads.clone();
    let counting = HookedStore::new(
        ctx.store().clone(),
        Box::new(move |op| {
            if matches!(op, StoreOp::Find | StoreOp::Count) {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            Box::pin(async {})
        }),
    );
    let repo: Repository<Customer> = Repository::new(Arc::new(counting))?;
    let found = repo
        .find(Filter::new().include(Inclusion::scoped("orders", Filter::new().include("lines"))))
        .await?;
    assert_eq!(
        reads.load(Ordering::SeqCst),
        3,
        "customers, orders, lines: levels + 1 queries"
    );
    assert_eq!(found.len(), 100);
    for customer in &found {
        let orders = customer.orders.as_deref().ok_or("included")?;
        assert_eq!(orders.len(), 10);
        for order in orders {
            assert_eq!(order.customer_id, customer.id);
            let lines = order.lines.as_deref().ok_or("included")?;
            assert_eq!(lines.iter().map(|l| l.quantity).collect::<Vec<_>>(), [1, 2]);
            assert!(lines.iter().all(|l| l.order_id == order.id));
        }
    }
    Ok(())
}

/// Past `Limits::max_list_len` keys, inclusion splits its key list over several queries; each
/// parent's targets must still come out in the scope's order and page, as from one query.
async fn inclusion_split_into_several_queries_keeps_the_scope_order_and_page(
    ctx: Ctx,
) -> TestResult {
    let mut limits = Limits::default();
    limits.max_list_len = 2;
    let customers = ctx.repo::<Customer>().with_limits(limits);
    let a = customers.create(Customer::new("a")).await?;
    let items = customers
        .has_many_through::<CartItem>("cartItems", id(&a))
        .await?;
    // Ids in creation order, descriptions not: a chunk by id holds {b, d} then {a, c}.
    for description in ["b", "d", "a", "c"] {
        items.create(cart_item(description)).await?;
    }
    let promotions = ctx
        .repo::<Promotion>()
        .create_all(
            ["q", "s", "p", "r"]
                .iter()
                .map(|n| Promotion {
                    id: None,
                    name: (*n).into(),
                })
                .collect(),
        )
        .await?;
    let mut b = Customer::new("b");
    b.promotion_ids = Some(promotions.iter().filter_map(|p| p.id).collect());
    customers.create(b).await?;

    let scope = |order, skip| Filter::new().order(order).skip(skip).limit(2);
    let filter = Filter::new()
        .include(Inclusion::scoped(
            "cartItems",
            scope(CartItem::FIELDS.description.asc(), 1),
        ))
        .include(Inclusion::scoped(
            "promotions",
            scope(Promotion::FIELDS.name.desc(), 0),
        ));
    let found = customers.find(filter.clone()).await?;
    let items_of_a: Vec<&str> = found[0]
        .cart_items
        .iter()
        .flatten()
        .map(|i| i.description.as_str())
        .collect();
    let promotions_of_b: Vec<&str> = found[1]
        .promotions
        .iter()
        .flatten()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        items_of_a,
        ["b", "c"],
        "has-many-through: ascending, skip 1, limit 2"
    );
    assert_eq!(
        promotions_of_b,
        ["s", "r"],
        "references-many: descending, limit 2"
    );

    // The untyped path gives the same.
    let records = customers.records().find(filter).await?;
    let names = |r: &Record, relation: &str, property: &str| -> Vec<Value> {
        match r.get(relation) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::Object(o) => o.get(property).cloned(),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    assert_eq!(
        names(&records[0], "cartItems", "description"),
        [Value::from("b"), Value::from("c")]
    );
    assert_eq!(
        names(&records[1], "promotions", "name"),
        [Value::from("s"), Value::from("r")]
    );

    // Sorted by a property the scope does not select: sorted all the same, and not returned.
    let by_description = Filter::new().include(Inclusion::scoped(
        "cartItems",
        Filter::new()
            .fields(["id"])
            .order(CartItem::FIELDS.description.desc()),
    ));
    let records = customers.records().find(by_description).await?;
    let all = ctx
        .repo::<CartItem>()
        .find(Filter::new().order(CartItem::FIELDS.description.desc()))
        .await?;
    let expected: Vec<Value> = all.iter().filter_map(|i| i.id).map(Value::from).collect();
    assert_eq!(names(&records[0], "cartItems", "id"), expected);
    assert_eq!(
        names(&records[0], "cartItems", "description"),
        [] as [Value; 0],
        "the sort key is not returned"
    );
    Ok(())
}
