"""HTML pages for staff. Each page starts from the acting tenant (interactions.views.tenancy)."""
