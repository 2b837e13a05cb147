{{ config(materialized='table') }}

{#-
    The current state of every dossier: its latest received version, so that a dossier delivered
    several times (or changed several times) counts once. "Latest" = greatest source_updated_at
    (NgayCapNhat), then greatest received_at, then the smallest record_hash (only a deterministic
    tie-break).

    Adds what the marts need from the nested lists of that version:
    - effective due date: the latest non-null NgayHenTraMoi among the supplement requests, taken in
      NgayBoSung order (latest request first), else NgayHenTra (marts.md "effective due date");
    - supplement_count, has_fee (a fee item with Gia > 0), has_e_result (a result item with a
      non-empty DuongDanTepTinKetQua).
    A table: JSON parsing and the window function are paid once per build, not per query.
-#}
with

dossier_versions as (

    select * from {{ ref('stg_one_stop_shop__dossiers') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by dossier_code
            order by source_updated_at desc, received_at desc, record_hash
        ) as version_rank,
        count(*) over (partition by dossier_code) as versions_received
    from dossier_versions

),

current_versions as (

    select * from ranked
    where version_rank = 1

),

supplement_requests as (

    select
        current_versions.dossier_code,
        {{ parse_source_ts("request ->> 'NgayBoSung'") }} as requested_at,
        {{ parse_source_ts("request ->> 'NgayHenTraMoi'") }} as new_due_at
    from current_versions
    cross join lateral jsonb_array_elements(current_versions.supplements) as request

),

supplements_summarised as (

    select
        dossier_code,
        count(*) as supplement_count,
        (
            array_agg(new_due_at order by requested_at desc nulls last, new_due_at desc)
                filter (where new_due_at is not null)
        )[1] as latest_new_due_at
    from supplement_requests
    group by dossier_code

),

fees_summarised as (

    select
        current_versions.dossier_code,
        bool_or(
            case
                when btrim(fee ->> 'Gia') ~ '^[0-9]+(\.[0-9]+)?$' then (fee ->> 'Gia')::numeric > 0
                else false
            end
        ) as has_fee
    from current_versions
    cross join lateral jsonb_array_elements(current_versions.fees) as fee
    group by current_versions.dossier_code

),

results_summarised as (

    select
        current_versions.dossier_code,
        bool_or(coalesce(btrim(result_item ->> 'DuongDanTepTinKetQua'), '') <> '') as has_e_result
    from current_versions
    cross join lateral jsonb_array_elements(current_versions.results) as result_item
    group by current_versions.dossier_code

),

final as (

    select
        -- ids
        current_versions.dossier_code,
        current_versions.record_hash,
        current_versions.procedure_code,
        current_versions.agency_code,
        current_versions.applicant_key,

        -- codes
        current_versions.channel_code,
        current_versions.submit_place_code,
        current_versions.applicant_type,
        current_versions.status_code,
        current_versions.paid_online_code,

        -- timestamps
        current_versions.submitted_at,
        current_versions.accepted_at,
        current_versions.due_at_original,
        coalesce(
            supplements_summarised.latest_new_due_at,
            current_versions.due_at_original
        ) as due_at,
        current_versions.finished_at,
        current_versions.returned_at,
        current_versions.updated_at,

        -- nested lists, summarised
        coalesce(supplements_summarised.supplement_count, 0)::integer as supplement_count,
        coalesce(fees_summarised.has_fee, false) as has_fee,
        coalesce(results_summarised.has_e_result, false) as has_e_result,

        -- load metadata
        current_versions.versions_received::integer as versions_received,
        current_versions.source_updated_at,
        current_versions.received_at,
        current_versions.batch_id

    from current_versions
    left join supplements_summarised
        on current_versions.dossier_code = supplements_summarised.dossier_code
    left join fees_summarised
        on current_versions.dossier_code = fees_summarised.dossier_code
    left join results_summarised
        on current_versions.dossier_code = results_summarised.dossier_code

)

select * from final
