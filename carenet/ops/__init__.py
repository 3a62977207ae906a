"""Operations: backup and restore of a CareNet installation."""
