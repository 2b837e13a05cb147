with

source as (

    select * from {{ source('audit', 'load_batch') }}

),

renamed as (

    select
        batch_id,
        source,
        entity,
        run_label,
        interval_start,
        interval_end,
        started_at,
        finished_at,
        status,
        rows_received,
        rows_loaded,
        rows_quarantined,
        rows_duplicate,
        error
    from source

)

select * from renamed
