"""Fixed lists of our marketing assets: web pages, forms, lists and campaigns."""

from __future__ import annotations

# (url path, page category); categories from schema.PAGE_CATEGORIES.
PAGES: tuple[tuple[str, str], ...] = (
    ("/", "home"),
    ("/home", "home"),
    ("/blog", "blog"),
    ("/blog/lead-scoring-101", "blog"),
    ("/blog/marketing-attribution-guide", "blog"),
    ("/blog/b2b-funnel-metrics", "blog"),
    ("/blog/email-deliverability-tips", "blog"),
    ("/blog/abm-playbook", "blog"),
    ("/blog/crm-hygiene", "blog"),
    ("/blog/intent-data-explained", "blog"),
    ("/blog/sales-marketing-alignment", "blog"),
    ("/pricing", "pricing"),
    ("/pricing/enterprise", "pricing"),
    ("/pricing/compare-plans", "pricing"),
    ("/product", "product"),
    ("/product/scoring", "product"),
    ("/product/integrations", "product"),
    ("/product/analytics", "product"),
    ("/product/security", "product"),
    ("/demo", "demo"),
    ("/book-a-demo", "demo"),
    ("/customers", "case_study"),
    ("/customers/retail-case-study", "case_study"),
    ("/customers/saas-case-study", "case_study"),
    ("/customers/fintech-case-study", "case_study"),
    ("/careers", "careers"),
    ("/careers/open-positions", "careers"),
    ("/careers/engineering", "careers"),
    ("/contact", "contact"),
    ("/contact-sales", "contact"),
    ("/docs", "docs"),
    ("/docs/getting-started", "docs"),
    ("/docs/api", "docs"),
    ("/docs/faq", "docs"),
    ("/about", "other"),
    ("/legal/privacy", "other"),
    ("/partners", "other"),
    ("/events", "other"),
)

# (form id, funnel stage)
FORMS: tuple[tuple[str, str], ...] = (
    ("newsletter-signup", "TOFU"),
    ("blog-subscribe", "TOFU"),
    ("ebook-download", "TOFU"),
    ("webinar-registration", "MOFU"),
    ("whitepaper-download", "MOFU"),
    ("roi-calculator", "MOFU"),
    ("case-study-request", "MOFU"),
    ("contact-sales", "BOFU"),
    ("demo-request", "BOFU"),
    ("pricing-quote", "BOFU"),
    ("free-trial-signup", "BOFU"),
)

# (list name, channel)
LISTS: tuple[tuple[str, str], ...] = (
    ("Newsletter Subscribers", "email"),
    ("Product Updates", "email"),
    ("Trade Show 2025 Leads", "event"),
    ("SaaS Summit Attendees", "event"),
    ("Partner Referrals", "other"),
    ("Purchased List Q1", "other"),
)

# Campaigns of non-e-mail activities; e-mail campaigns are built per time window.
AD_CAMPAIGNS: tuple[str, ...] = (
    "Search - Brand",
    "Search - Competitors",
    "Social - ABM Target Accounts",
    "Social - Retargeting",
    "Review Site Listing",
)
WEBINAR_CAMPAIGNS: tuple[str, ...] = (
    "Webinar: Lead Scoring Masterclass",
    "Webinar: Pipeline Analytics Live",
    "Webinar: Customer Panel",
)
CONTENT_CAMPAIGNS: tuple[tuple[str, str], ...] = (
    ("Ebook: State of B2B Marketing", "ebook"),
    ("Whitepaper: Predictive Scoring", "whitepaper"),
    ("Price List 2026", "price_list"),
    ("Case Study Pack", "case_study"),
    ("Report: Funnel Benchmarks", "report"),
    ("Checklist: CRM Hygiene", "other"),
)
EMAIL_PROGRAMS: tuple[str, ...] = (
    "Newsletter",
    "Nurture: Getting Started",
    "Nurture: ROI of Lead Scoring",
    "Product Update",
    "Webinar Invite",
    "Customer Stories",
)
