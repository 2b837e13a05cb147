{#-
    A table with an index on dossier_code, not a view: kpi_timeliness_monthly and dossier_watchlist
    ask "was this dossier waiting at instant T?" as a correlated EXISTS per (month end x open
    dossier). Over a view (a UNION ALL reading raw JSON) PostgreSQL re-ran the whole view for every
    such row (minutes at 20,000 dossiers, quadratic); over an indexed table it is one index probe.
-#}
{{ config(materialized='table', indexes=[{'columns': ['dossier_code']}]) }}

{#-
    When each accepted dossier waited for the applicant (marts.md "waiting": open with status 5 or
    6), as periods [waiting_from, waiting_until), waiting_until null = still waiting. The warehouse
    has no status history, so the periods are rebuilt from what the current version says:
    - supplement requests (DanhSachHoSoBoSung): from NgayBoSung to NgayTiepNhanBoSung (the
      supplement received); without a receipt, until the dossier closed, or still running when the
      dossier waits now; a request of a dossier open and not waiting now without a receipt has no
      known end and is ignored;
    - the current status 5/6 of a dossier open now: since NgayCapNhat (the record's last change,
      when the status was set), else since acceptance. This also covers payment requests (6),
      which leave no trace in the lists.
    "Waiting at instant T" = some period has waiting_from < T and (waiting_until is null or
    waiting_until >= T), the same half-open rule as "open at T".
-#}
with

accepted as (

    select dossier_code, record_hash, is_open_now, is_waiting_now, closed_at, accepted_at, updated_at
    from {{ ref('int_dossiers_classified') }}
    where is_accepted

),

versions as (

    select dossier_code, record_hash, supplements from {{ ref('stg_one_stop_shop__dossiers') }}

),

requests as (

    -- the supplement requests of the current version (record_hash) only
    select
        accepted.dossier_code,
        accepted.is_open_now,
        accepted.is_waiting_now,
        accepted.closed_at,
        {{ parse_source_ts("request ->> 'NgayBoSung'") }} as requested_at,
        {{ parse_source_ts("request ->> 'NgayTiepNhanBoSung'") }} as received_at
    from accepted
    inner join versions
        on accepted.dossier_code = versions.dossier_code
        and accepted.record_hash = versions.record_hash
    cross join lateral jsonb_array_elements(versions.supplements) as request

),

supplement_periods as (

    select
        dossier_code,
        'supplement_request'::text as basis,
        requested_at as waiting_from,
        case
            when received_at is not null then received_at
            when not is_open_now then closed_at
            when is_waiting_now then null
            else requested_at
        end as waiting_until
    from requests
    where requested_at is not null

),

status_periods as (

    select
        dossier_code,
        'current_status'::text as basis,
        coalesce(updated_at, accepted_at) as waiting_from,
        null::timestamptz as waiting_until
    from accepted
    where is_open_now
        and is_waiting_now

),

final as (

    select * from supplement_periods
    where waiting_until is null or waiting_until > waiting_from

    union all

    select * from status_periods

)

select * from final
