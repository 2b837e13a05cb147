with

source as (

    select * from {{ source('dq', 'validation_run') }}

),

renamed as (

    select
        validation_run_id,
        run_label,
        checkpoint_name,
        suite_name,
        table_checked,
        run_at,
        success,
        status as dq_status,
        evaluated,
        passed,
        warned,
        failed,
        report_path,
        -- issue 11: which layer the run checked (raw / marts / reconciliation) and, for raw
        -- checks, the source whose new batches it covered
        layer,
        source
    from source

)

select * from renamed
