// @generated automatically by Diesel CLI.

diesel::table! {
    ai_accuracy_metrics (day, field, source) {
        day -> Date,
        field -> Text,
        source -> Text,
        approved -> Int4,
        edited -> Int4,
        rejected -> Int4,
        auto_applied -> Int4,
        precision -> Nullable<Float4>,
        computed_at -> Timestamptz,
    }
}

diesel::table! {
    ai_user_preferences (id) {
        id -> Int8,
        user_id -> Int8,
        team_id -> Nullable<Int8>,
        field_name -> Text,
        action -> Text,
        suggested_value -> Nullable<Text>,
        final_value -> Nullable<Text>,
        suggestion_rank -> Nullable<Int4>,
        suggestion_confidence -> Nullable<Float4>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

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
    autofill_suggestions (id) {
        id -> Int8,
        entity_type -> Text,
        entity_id -> Nullable<Int8>,
        action -> Text,
        field -> Text,
        value -> Jsonb,
        current_value -> Nullable<Text>,
        confidence -> Float4,
        source -> Text,
        evidence -> Jsonb,
        interaction_id -> Nullable<Int8>,
        analyzer_version -> Text,
        owner_user_id -> Nullable<Int8>,
        status -> Text,
        final_value -> Nullable<Jsonb>,
        decided_by -> Nullable<Int8>,
        decided_at -> Nullable<Timestamptz>,
        dedupe_key -> Text,
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
    campaign_recipients (campaign_id, person_id) {
        campaign_id -> Int8,
        person_id -> Int8,
        variant -> Text,
        state -> Text,
        stop_reason -> Nullable<Text>,
        enrolled_at -> Timestamptz,
    }
}

diesel::table! {
    campaign_sends (id) {
        id -> Int8,
        campaign_id -> Int8,
        person_id -> Int8,
        step -> Int2,
        variant -> Text,
        status -> Text,
        skip_reason -> Nullable<Text>,
        due_at -> Timestamptz,
        attempts -> Int4,
        enqueued_at -> Nullable<Timestamptz>,
        claimed_at -> Nullable<Timestamptz>,
        sent_at -> Nullable<Timestamptz>,
        message_id -> Text,
        address_hash -> Nullable<Text>,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    campaign_steps (campaign_id, step) {
        campaign_id -> Int8,
        step -> Int2,
        template_id -> Int8,
        delay_hours -> Int4,
        subject_b -> Nullable<Text>,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Int8,
        name -> Text,
        segment_id -> Int8,
        status -> Text,
        scheduled_at -> Nullable<Timestamptz>,
        tracking -> Bool,
        stop_on_reply -> Bool,
        owner_id -> Nullable<Int8>,
        launched_at -> Nullable<Timestamptz>,
        paused_at -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    data_access_logs (id) {
        id -> Int8,
        at -> Timestamptz,
        user_id -> Nullable<Int8>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Int8>,
        route -> Text,
        ip_hash -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    email_accounts (id) {
        id -> Int8,
        owner_user_id -> Int8,
        provider -> Text,
        address -> Text,
        imap_host -> Nullable<Text>,
        imap_port -> Nullable<Int4>,
        imap_security -> Nullable<Text>,
        imap_auth -> Text,
        username -> Nullable<Text>,
        secret_ciphertext -> Nullable<Bytea>,
        token_expires_at -> Nullable<Timestamptz>,
        folders -> Array<Nullable<Text>>,
        active -> Bool,
        needs_reconsent -> Bool,
        last_sync_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    email_events (id) {
        id -> Int8,
        send_id -> Nullable<Int8>,
        campaign_id -> Nullable<Int8>,
        kind -> Text,
        source -> Text,
        address_hash -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        machine -> Bool,
        url -> Nullable<Text>,
        occurred_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    email_folder_state (account_id, folder) {
        account_id -> Int8,
        folder -> Text,
        uidvalidity -> Nullable<Int8>,
        last_uid -> Int8,
        history_id -> Nullable<Text>,
        delta_link -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    email_suppressions (address_hash) {
        address_hash -> Text,
        reason -> Text,
        source -> Text,
        campaign_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    email_threads (id) {
        id -> Int8,
        account_id -> Nullable<Int8>,
        root_message_id -> Text,
        subject -> Text,
        last_message_at -> Nullable<Timestamptz>,
        message_count -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    erasure_ledger (id) {
        id -> Int8,
        subject_type -> Text,
        subject_id -> Int8,
        identifier_hashes -> Array<Nullable<Text>>,
        reason -> Text,
        request_id -> Nullable<Int8>,
        erased_at -> Timestamptz,
    }
}

diesel::table! {
    events (id) {
        id -> Int8,
        event_type -> Text,
        data -> Jsonb,
        created_at -> Timestamptz,
        relayed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    interaction_analyses (interaction_id) {
        interaction_id -> Int8,
        analyzer_version -> Text,
        source -> Text,
        language -> Text,
        intent_label -> Text,
        intent_confidence -> Float4,
        signature -> Jsonb,
        signature_found -> Bool,
        entities -> Jsonb,
        keywords -> Jsonb,
        duration_ms -> Int4,
        cache -> Text,
        analyzed_at -> Timestamptz,
        autofilled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    interactions (id) {
        id -> Int8,
        account_id -> Nullable<Int8>,
        folder -> Text,
        uid -> Nullable<Int8>,
        provider_id -> Nullable<Text>,
        message_id -> Text,
        in_reply_to -> Nullable<Text>,
        message_references -> Array<Nullable<Text>>,
        from_address -> Nullable<Text>,
        from_name -> Nullable<Text>,
        to_addresses -> Array<Nullable<Text>>,
        cc_addresses -> Array<Nullable<Text>>,
        subject -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        direction -> Text,
        body_text -> Nullable<Text>,
        body_purged_at -> Nullable<Timestamptz>,
        size_bytes -> Int8,
        thread_id -> Nullable<Int8>,
        parent_message_id -> Nullable<Text>,
        person_id -> Nullable<Int8>,
        skipped_reason -> Nullable<Text>,
        created_at -> Timestamptz,
        automated -> Nullable<Text>,
        assigned_user_id -> Nullable<Int8>,
        assigned_team_id -> Nullable<Int8>,
        routing_rule_id -> Nullable<Int8>,
        assignment_source -> Nullable<Text>,
    }
}

diesel::table! {
    job_history (job_id) {
        job_id -> Text,
        job -> Text,
        queue -> Text,
        state -> Text,
        attempts -> Int4,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Timestamptz,
        duration_ms -> Nullable<Int8>,
        last_error -> Nullable<Text>,
        request_id -> Nullable<Text>,
        actor_user_id -> Nullable<Int8>,
        resource -> Nullable<Text>,
        permanent -> Bool,
    }
}

diesel::table! {
    mail_templates (id) {
        id -> Int8,
        name -> Text,
        subject -> Text,
        html -> Text,
        text_body -> Nullable<Text>,
        owner_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notification_preferences (user_id, kind) {
        user_id -> Int8,
        kind -> Text,
        channel -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        priority -> Text,
        title -> Text,
        body -> Text,
        link -> Nullable<Text>,
        data -> Jsonb,
        event_id -> Nullable<Int8>,
        read_at -> Nullable<Timestamptz>,
        emailed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
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
        field_sources -> Jsonb,
        description -> Nullable<Text>,
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
        field_sources -> Jsonb,
        anonymised_at -> Nullable<Timestamptz>,
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
    rgpd_export_files (request_id) {
        request_id -> Int8,
        file_name -> Text,
        content -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    rgpd_reports (id) {
        id -> Int8,
        period_start -> Date,
        period_end -> Date,
        generated_at -> Timestamptz,
        figures -> Jsonb,
        html -> Text,
        pdf -> Bytea,
    }
}

diesel::table! {
    rgpd_requests (id) {
        id -> Int8,
        kind -> Text,
        subject_type -> Text,
        subject_id -> Int8,
        requested_by -> Nullable<Int8>,
        state -> Text,
        reason -> Nullable<Text>,
        job_id -> Nullable<Text>,
        requested_at -> Timestamptz,
        confirmed_at -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        error -> Nullable<Text>,
        link_expires_at -> Nullable<Timestamptz>,
        downloaded_at -> Nullable<Timestamptz>,
        counts -> Jsonb,
    }
}

diesel::table! {
    routing_rules (id) {
        id -> Int8,
        name -> Text,
        priority -> Int4,
        active -> Bool,
        intent -> Nullable<Text>,
        sender_pattern -> Nullable<Text>,
        keywords -> Array<Nullable<Text>>,
        account_id -> Nullable<Int8>,
        assign_user_id -> Nullable<Int8>,
        assign_team_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    segment_members (segment_id, person_id) {
        segment_id -> Int8,
        person_id -> Int8,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    segments (id) {
        id -> Int8,
        name -> Text,
        filters -> Nullable<Jsonb>,
        owner_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tasks (id) {
        id -> Int8,
        title -> Text,
        description -> Text,
        due_at -> Nullable<Timestamptz>,
        priority -> Text,
        status -> Text,
        assigned_user_id -> Nullable<Int8>,
        organisation_id -> Nullable<Int8>,
        person_id -> Nullable<Int8>,
        due_notified_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
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
        token_version -> Int4,
        anonymised_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        delivery_id -> Int8,
        attempt -> Int4,
        status -> Nullable<Int4>,
        latency_ms -> Int4,
        response_excerpt -> Nullable<Text>,
        error -> Nullable<Text>,
        manual -> Bool,
        at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        endpoint_id -> Int8,
        event_id -> Nullable<Int8>,
        message_id -> Text,
        event_type -> Text,
        payload -> Jsonb,
        state -> Text,
        attempts -> Int4,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Nullable<Timestamptz>,
        job_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Int8,
        url -> Text,
        description -> Text,
        event_types -> Array<Nullable<Text>>,
        secret_enc -> Bytea,
        previous_secret_enc -> Nullable<Bytea>,
        previous_secret_until -> Nullable<Timestamptz>,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        disabled_at -> Nullable<Timestamptz>,
        failing_since -> Nullable<Timestamptz>,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(ai_user_preferences -> teams (team_id));
diesel::joinable!(ai_user_preferences -> users (user_id));
diesel::joinable!(audit_log -> users (actor_user_id));
diesel::joinable!(autofill_suggestions -> interactions (interaction_id));
diesel::joinable!(campaign_recipients -> campaigns (campaign_id));
diesel::joinable!(campaign_recipients -> people (person_id));
diesel::joinable!(campaign_sends -> campaigns (campaign_id));
diesel::joinable!(campaign_sends -> people (person_id));
diesel::joinable!(campaign_steps -> campaigns (campaign_id));
diesel::joinable!(campaign_steps -> mail_templates (template_id));
diesel::joinable!(campaigns -> segments (segment_id));
diesel::joinable!(campaigns -> users (owner_id));
diesel::joinable!(email_accounts -> users (owner_user_id));
diesel::joinable!(email_events -> campaign_sends (send_id));
diesel::joinable!(email_events -> campaigns (campaign_id));
diesel::joinable!(email_folder_state -> email_accounts (account_id));
diesel::joinable!(email_suppressions -> campaigns (campaign_id));
diesel::joinable!(email_threads -> email_accounts (account_id));
diesel::joinable!(interaction_analyses -> interactions (interaction_id));
diesel::joinable!(interactions -> email_accounts (account_id));
diesel::joinable!(interactions -> email_threads (thread_id));
diesel::joinable!(interactions -> people (person_id));
diesel::joinable!(interactions -> routing_rules (routing_rule_id));
diesel::joinable!(interactions -> teams (assigned_team_id));
diesel::joinable!(interactions -> users (assigned_user_id));
diesel::joinable!(mail_templates -> users (owner_id));
diesel::joinable!(notification_preferences -> users (user_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(organisations -> users (owner_id));
diesel::joinable!(person_organisation_links -> organisations (organisation_id));
diesel::joinable!(person_organisation_links -> people (person_id));
diesel::joinable!(rgpd_export_files -> rgpd_requests (request_id));
diesel::joinable!(routing_rules -> email_accounts (account_id));
diesel::joinable!(routing_rules -> teams (assign_team_id));
diesel::joinable!(routing_rules -> users (assign_user_id));
diesel::joinable!(segment_members -> people (person_id));
diesel::joinable!(segment_members -> segments (segment_id));
diesel::joinable!(segments -> users (owner_id));
diesel::joinable!(tasks -> organisations (organisation_id));
diesel::joinable!(tasks -> people (person_id));
diesel::joinable!(tasks -> users (assigned_user_id));
diesel::joinable!(users -> teams (team_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_endpoints -> users (created_by));

diesel::allow_tables_to_appear_in_same_query!(
    ai_accuracy_metrics,
    ai_user_preferences,
    audit_log,
    autofill_suggestions,
    backups,
    campaign_recipients,
    campaign_sends,
    campaign_steps,
    campaigns,
    data_access_logs,
    email_accounts,
    email_events,
    email_folder_state,
    email_suppressions,
    email_threads,
    erasure_ledger,
    events,
    interaction_analyses,
    interactions,
    job_history,
    mail_templates,
    notification_preferences,
    notifications,
    organisations,
    people,
    person_organisation_links,
    rgpd_export_files,
    rgpd_reports,
    rgpd_requests,
    routing_rules,
    segment_members,
    segments,
    tasks,
    teams,
    users,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
);
