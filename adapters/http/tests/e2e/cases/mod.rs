//! The cases, by topic. Each names whether it depends on the backend (run on every backend) or
//! not (run on memory only).

pub mod auth;
pub mod conflicts;
pub mod crud;
pub mod document;
pub mod errors;
pub mod include;
pub mod relations;
pub mod values;

use crate::Case;

macro_rules! cases {
    ($per_backend:expr => $($module:ident::$name:ident),* $(,)?) => {
        vec![$(Case { name: stringify!($name), per_backend: $per_backend, run: $module::$name }),*]
    };
}

pub fn all() -> Vec<Case> {
    let mut cases = cases![true =>
        crud::create_returns_the_entity_with_its_generated_id,
        crud::create_refuses_invalid_bodies_with_every_problem,
        crud::find_lists_notes_in_id_order_without_absent_properties,
        crud::find_accepts_both_filter_encodings,
        crud::find_projects_fields,
        crud::count_accepts_both_where_encodings,
        crud::update_all_patches_matching_notes_and_counts_them,
        crud::find_by_id_returns_the_note_or_404,
        crud::update_by_id_patches_one_note,
        crud::replace_by_id_replaces_the_whole_note,
        crud::delete_by_id_deletes_once,
        crud::any_json_round_trips_in_tag,
        crud::pages_are_bounded,
        crud::read_only_serves_only_reads,
        crud::conflicts_are_409_and_hidden_properties_never_leave,
        errors::invalid_filters_report_every_problem,
        errors::invalid_path_ids_are_400,
        errors::unusable_bodies_are_400,
        errors::prototype_keys_are_refused,
        errors::empty_patches_are_400,
        errors::bodies_over_the_limit_are_413,
        errors::non_json_bodies_are_415,
        errors::unknown_routes_are_404,
        errors::unserved_verbs_are_405_with_allow,
        relations::crud_routes_serve_both_models,
        relations::has_many_create_sets_the_key,
        relations::has_many_create_refuses_a_changed_key_bad_bodies_and_missing_folders,
        relations::has_many_find_filters_within_the_folder,
        relations::has_many_patch_counts_within_the_folder,
        relations::has_many_delete_counts_within_the_folder,
        relations::belongs_to_returns_the_folder_or_404,
        relations::has_one_create_get_patch_delete,
        relations::navigational_properties_in_bodies_are_400,
        relations::read_only_keeps_only_reading_relation_routes,
        include::include_works_in_both_filter_encodings,
        include::include_scopes_nest_and_filter,
        include::include_scope_limits_survive_page_capping,
        include::invalid_includes_are_400_with_details,
        conflicts::if_match_refuses_stale_versions,
        conflicts::concurrent_patches_with_etags_lose_nothing,
        conflicts::concurrent_creates_of_one_unique_value,
        conflicts::concurrent_creates_of_one_id,
        auth::owned_records_are_unreachable_by_others,
    ];
    cases.extend(cases![false =>
        auth::policies_answer_401_and_403_in_the_envelope,
        document::openapi_and_explorer_are_served,
        document::openapi_documents_relations_and_include,
        document::extra_routes_are_served_and_documented,
        document::cors_allows_any_origin_by_default,
        document::cors_can_be_restricted,
        errors::prohibited_keys_are_refused_as_loopback_does,
        errors::unavailable_backends_are_503,
        errors::backend_failures_are_500_without_internals,
        errors::unsupported_operators_are_501,
        values::value_type_bodies_are_validated,
        values::value_types_round_trip,
        values::value_types_filter_in_both_encodings,
        values::user_defined_types_refuse_what_they_cannot_read,
    ]);
    cases
}
