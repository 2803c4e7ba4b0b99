"""Content as data: tips, FAQ, clinics and message catalogs from tips/*.yaml."""
