{#-
    Accepted dossiers with the moments the timeliness marts need to replay their state on any day:
    accepted_at (the clock starts) and closed_at (it stopped being open: finished, 9/10, or
    withdrawn/stopped, 7/8). The warehouse keeps only each dossier's current state, so:
    - closed_at is NgayKetThucXuLy; when that is missing, NgayCapNhat (the record's last change,
      the latest the state can have been reached), else the acceptance itself;
    - when it waited for the applicant (status 5/6) is rebuilt in int_dossier_waiting_periods.
    Reads the mart fct_dossier on purpose: the agency version in force on the acceptance day and
    the timeliness class are defined there once.
-#}
with

dossiers as (

    select * from {{ ref('fct_dossier') }}

),

final as (

    select
        -- ids
        dossier_code,
        procedure_code,
        agency_code,
        agency_version_key,
        agency_level,

        -- state now
        status_code,
        coalesce(status_code not in (7, 8, 9, 10), true) as is_open_now,
        coalesce(status_code in (5, 6), false) as is_waiting_now,

        -- clock
        accepted_at,
        due_at,
        {{ vn_day('due_at') }} as due_day,
        due_at is not null as has_due_date,
        finished_at,
        updated_at,
        timeliness,
        case
            when status_code in (7, 8, 9, 10) then coalesce(finished_at, updated_at, accepted_at)
        end as closed_at,
        case
            when status_code not in (7, 8, 9, 10) then null
            when finished_at is not null then 'finished_at'
            when updated_at is not null then 'updated_at'
            else 'accepted_at'
        end as closed_at_source

    from dossiers
    where is_accepted

)

select * from final
