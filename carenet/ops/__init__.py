"""Operations: backup and restore of a CareNet installation, and the retention schedule
(``carenet manage retention``), which reaches into every app that keeps a child's data."""
