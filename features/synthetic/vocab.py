"""Fixed word lists the synthetic CRM draws people and companies from.

Every name here is made up or generic; combinations of first and last names are random,
so no generated contact is a real person. Company names are built from invented
syllables, and our own company's domain uses the reserved ``.example`` top-level domain.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# (job title as typed, seniority, department, relative frequency)
JOB_TITLES: tuple[tuple[str, str, str, float], ...] = (
    ("CEO", "c_level", "executive", 1.2),
    ("Founder & CEO", "c_level", "executive", 0.8),
    ("Co-Founder", "c_level", "executive", 0.6),
    ("Chief Marketing Officer", "c_level", "marketing", 0.6),
    ("CMO", "c_level", "marketing", 0.5),
    ("Chief Revenue Officer", "c_level", "sales", 0.4),
    ("CTO", "c_level", "engineering", 0.6),
    ("CFO", "c_level", "finance", 0.4),
    ("COO", "c_level", "operations", 0.3),
    ("Owner", "c_level", "executive", 1.0),
    ("VP of Marketing", "vp", "marketing", 1.2),
    ("VP Marketing", "vp", "marketing", 0.8),
    ("Vice President, Sales", "vp", "sales", 0.9),
    ("VP of Sales", "vp", "sales", 0.8),
    ("VP Engineering", "vp", "engineering", 0.5),
    ("VP Finance", "vp", "finance", 0.3),
    ("VP of Operations", "vp", "operations", 0.3),
    ("Head of Growth", "director", "marketing", 1.0),
    ("Head of Marketing", "director", "marketing", 1.2),
    ("Head of Demand Generation", "director", "marketing", 0.7),
    ("Director of Marketing", "director", "marketing", 1.0),
    ("Marketing Director", "director", "marketing", 0.8),
    ("Sales Director", "director", "sales", 0.9),
    ("Director of Sales Operations", "director", "sales", 0.5),
    ("Head of Sales", "director", "sales", 0.7),
    ("IT Director", "director", "it", 0.6),
    ("Director of Engineering", "director", "engineering", 0.5),
    ("HR Director", "director", "hr", 0.4),
    ("Finance Director", "director", "finance", 0.4),
    ("Marketing Manager", "manager", "marketing", 2.5),
    ("Senior Marketing Manager", "manager", "marketing", 1.2),
    ("Digital Marketing Manager", "manager", "marketing", 1.2),
    ("Content Marketing Manager", "manager", "marketing", 0.8),
    ("Product Marketing Manager", "manager", "marketing", 0.8),
    ("Demand Gen Manager", "manager", "marketing", 0.6),
    ("Marketing Operations Manager", "manager", "marketing", 0.7),
    ("Sales Manager", "manager", "sales", 1.5),
    ("Account Manager", "manager", "sales", 1.0),
    ("IT Manager", "manager", "it", 1.0),
    ("Engineering Manager", "manager", "engineering", 0.6),
    ("HR Manager", "manager", "hr", 0.7),
    ("Finance Manager", "manager", "finance", 0.6),
    ("Operations Manager", "manager", "operations", 1.0),
    ("Project Manager", "manager", "operations", 0.8),
    ("Marketing Specialist", "individual_contributor", "marketing", 1.5),
    ("Marketing Coordinator", "individual_contributor", "marketing", 1.2),
    ("SEO Specialist", "individual_contributor", "marketing", 0.6),
    ("Growth Marketer", "individual_contributor", "marketing", 0.6),
    ("Marketing Analyst", "individual_contributor", "marketing", 0.7),
    ("Account Executive", "individual_contributor", "sales", 1.2),
    ("Sales Development Representative", "individual_contributor", "sales", 0.9),
    ("SDR", "individual_contributor", "sales", 0.5),
    ("Software Engineer", "individual_contributor", "engineering", 1.2),
    ("Data Analyst", "individual_contributor", "it", 0.9),
    ("Data Scientist", "individual_contributor", "engineering", 0.6),
    ("System Administrator", "individual_contributor", "it", 0.5),
    ("Recruiter", "individual_contributor", "hr", 0.6),
    ("Accountant", "individual_contributor", "finance", 0.6),
    ("Operations Associate", "individual_contributor", "operations", 0.5),
    ("Consultant", "individual_contributor", "other", 1.0),
    ("Freelancer", "other", "other", 0.6),
    ("Assistant", "individual_contributor", "operations", 0.5),
    ("Student", "student", "education", 1.5),
    ("MBA Candidate", "student", "education", 0.4),
    ("Marketing Intern", "student", "marketing", 0.8),
    ("Sales Intern", "student", "sales", 0.4),
    ("Teacher", "other", "education", 0.5),
    ("Professor", "other", "education", 0.3),
    ("Retired", "other", "other", 0.2),
    ("n/a", "other", "other", 0.3),
)

INDUSTRIES: tuple[tuple[str, float], ...] = (
    ("software", 3.0),
    ("financial services", 1.5),
    ("marketing & advertising", 1.5),
    ("consulting", 1.2),
    ("healthcare", 1.0),
    ("manufacturing", 1.2),
    ("retail", 1.0),
    ("e-commerce", 0.9),
    ("education", 0.8),
    ("telecommunications", 0.5),
    ("media", 0.6),
    ("logistics", 0.6),
    ("real estate", 0.5),
    ("government", 0.4),
    ("non-profit", 0.4),
    ("energy", 0.4),
)

# (country, ISO code, region, calling code, relative frequency)
COUNTRIES: tuple[tuple[str, str, str, int, float], ...] = (
    ("United States", "US", "NA", 1, 9.0),
    ("Canada", "CA", "NA", 1, 1.2),
    ("United Kingdom", "GB", "EMEA", 44, 2.5),
    ("Germany", "DE", "EMEA", 49, 2.0),
    ("France", "FR", "EMEA", 33, 1.2),
    ("Netherlands", "NL", "EMEA", 31, 0.8),
    ("Spain", "ES", "EMEA", 34, 0.6),
    ("Italy", "IT", "EMEA", 39, 0.5),
    ("Sweden", "SE", "EMEA", 46, 0.4),
    ("South Africa", "ZA", "EMEA", 27, 0.3),
    ("India", "IN", "APAC", 91, 2.0),
    ("Australia", "AU", "APAC", 61, 0.9),
    ("Singapore", "SG", "APAC", 65, 0.4),
    ("Japan", "JP", "APAC", 81, 0.5),
    ("Brazil", "BR", "LATAM", 55, 0.9),
    ("Mexico", "MX", "LATAM", 52, 0.6),
    ("Argentina", "AR", "LATAM", 54, 0.3),
    ("Colombia", "CO", "LATAM", 57, 0.3),
)

FREE_EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 6.0),
    ("yahoo.com", 1.5),
    ("hotmail.com", 1.2),
    ("outlook.com", 1.2),
    ("icloud.com", 0.6),
    ("aol.com", 0.2),
    ("gmx.de", 0.3),
    ("proton.me", 0.2),
)

OWN_DOMAIN = "leadscore.example"

FIRST_NAMES: tuple[str, ...] = _words(
    "anna ben clara david emma felix grace henry isla jack kate liam mia noah olivia "
    "paul quinn rosa sam tara uma victor wendy xavier yara zoe aaron bella carlos diana "
    "ethan fatima george hana ivan julia kevin laura marco nina oscar priya rahul sofia "
    "tom ursula vera will ximena yusuf zara adam beatriz chen daniela erik fiona gabriel "
    "helena igor jasmine karl lena mateo nadia omar petra raj sara theo valentina wei "
    "alice bruno camila dmitri elena frank gina hugo ingrid jonas keiko lucas maya "
    "nora otto pedro ruth simon tina ana leo eva max lara joao amir lin"
)
LAST_NAMES: tuple[str, ...] = _words(
    "smith jones brown miller davis garcia rodriguez wilson martinez anderson taylor "
    "thomas moore martin jackson white harris clark lewis robinson walker young allen "
    "king wright scott green baker adams nelson hill campbell mitchell roberts carter "
    "phillips evans turner torres parker collins edwards stewart morris murphy cook "
    "rogers morgan peterson cooper reed bailey bell kelly howard ward cox diaz richardson "
    "wood watson brooks bennett gray james reyes cruz hughes price myers long foster "
    "sanders ross morales powell sullivan russell ortiz jenkins perry butler barnes "
    "fischer weber meyer wagner becker schulz hoffmann koch richter klein wolf dubois "
    "lefevre moreau rossi russo ferrari esposito kowalski nowak silva santos oliveira "
    "kumar sharma patel singh gupta tanaka suzuki sato kim lee park nguyen tran"
)

# Invented syllables: company names like "Zentrova Analytics" and domains "zentrova.io".
COMPANY_HEADS: tuple[str, ...] = _words(
    "zen quill brix nor vel tor cal mer lum ark sol ven dra kor pax syl tav orb fen "
    "glim hal jun kel mox nyx ost pyr rav sker tul vex wyn yar zol bri cran dov"
)
COMPANY_TAILS: tuple[str, ...] = _words(
    "trova brook vana lix dale tron nexa mont vue pira stead ford lane wick mora "
    "quist sphere loom grid scape"
)
# fmt: off
COMPANY_KINDS: tuple[str, ...] = (
    "Analytics", "Systems", "Labs", "Group", "Solutions", "Software", "Partners",
    "Health", "Logistics", "Retail", "Media", "Capital", "Industries", "Digital",
)
COMPANY_LEGAL: tuple[str, ...] = ("Inc", "LLC", "Ltd", "GmbH", "", "", "", "")
COMPANY_TLDS: tuple[tuple[str, float], ...] = (
    ("com", 6.0), ("io", 1.5), ("co", 0.8), ("de", 0.8), ("co.uk", 0.8), ("net", 0.5),
)
# fmt: on

# latest lead source -> first-touch source as a CRM exports it
ORIGINAL_SOURCE_LABELS: dict[str, str] = {
    "organic_search": "Organic Search",
    "paid_search": "Paid Search",
    "paid_social": "Paid Social",
    "social": "Social Media",
    "email": "Email Marketing",
    "referral": "Referrals",
    "direct": "Direct Traffic",
    "event": "Offline Sources",
    "partner": "Partner Referral",
    "webinar": "Webinar",
    "content": "Content Syndication",
    "other": "Other Campaigns",
}
LEAD_SOURCE_WEIGHTS: dict[str, float] = {
    "organic_search": 4.0,
    "paid_search": 2.5,
    "paid_social": 1.5,
    "social": 1.0,
    "email": 1.0,
    "referral": 1.0,
    "direct": 2.0,
    "event": 0.8,
    "partner": 0.4,
    "webinar": 0.8,
    "content": 1.2,
    "other": 0.5,
}
