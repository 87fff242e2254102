// @generated automatically by Diesel CLI.

diesel::table! {
    audit_log (id) {
        id -> Int8,
        actor_user_id -> Nullable<Int8>,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        details -> Jsonb,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    backups (id) {
        id -> Int8,
        file_name -> Text,
        size_bytes -> Nullable<Int8>,
        sha256 -> Nullable<Text>,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        status -> Text,
        error -> Nullable<Text>,
        table_counts -> Nullable<Jsonb>,
        verified_at -> Nullable<Timestamptz>,
        verify_result -> Nullable<Text>,
        verify_details -> Nullable<Jsonb>,
    }
}

diesel::table! {
    organisations (id) {
        id -> Int8,
        name -> Text,
        org_type -> Text,
        category -> Nullable<Text>,
        pipeline_stage -> Text,
        website -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
        city -> Nullable<Text>,
        country -> Nullable<Text>,
        linkedin -> Nullable<Text>,
        notes -> Nullable<Text>,
        owner_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    people (id) {
        id -> Int8,
        first_name -> Text,
        last_name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        mobile -> Nullable<Text>,
        title -> Nullable<Text>,
        linkedin -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    person_organisation_links (id) {
        id -> Int8,
        person_id -> Int8,
        organisation_id -> Int8,
        role -> Nullable<Text>,
        is_primary -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    teams (id) {
        id -> Int8,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        team_id -> Nullable<Int8>,
        display_name -> Nullable<Text>,
        active -> Bool,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(audit_log -> users (actor_user_id));
diesel::joinable!(organisations -> users (owner_id));
diesel::joinable!(person_organisation_links -> organisations (organisation_id));
diesel::joinable!(person_organisation_links -> people (person_id));
diesel::joinable!(users -> teams (team_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_log,
    backups,
    organisations,
    people,
    person_organisation_links,
    teams,
    users,
);
