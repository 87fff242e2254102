//! Word lists for signatures (all folded: lower-case, no accents). General French and English
//! business vocabulary; no names or companies of any data set.

/// Words that start a job title ("Directrice des Partenariats", "Head of Sales", "Chargé de...").
pub const TITLE_HEADS: &[&str] = &[
    "directeur", "directrice", "dir", "responsable", "resp", "gerant", "gerante", "associe", "associee",
    "associe-gerant", "cofondateur", "co-fondateur", "cofondatrice", "co-fondatrice", "fondateur", "fondatrice",
    "president", "presidente", "vice-president", "vice-presidente", "pdg", "dg", "dga", "daf", "drh", "dsi",
    "charge", "chargee", "conseiller", "conseillere", "consultant", "consultante", "analyste", "assistant",
    "assistante", "secretaire", "tresorier", "tresoriere", "notaire", "avocat", "avocate", "courtier",
    "courtiere", "ingenieur", "ingenieure", "juriste", "comptable", "expert-comptable", "controleur",
    "controleuse", "auditeur", "auditrice", "gestionnaire", "chef", "cheffe", "delegue", "deleguee",
    "administrateur", "administratrice", "attache", "attachee", "commercial", "commerciale", "banquier",
    "banquiere", "economiste", "stratege", "actuaire", "souscripteur", "inspecteur", "inspectrice",
    "mandataire", "collaborateur", "collaboratrice", "stagiaire", "alternant", "alternante", "membre",
    "cgp", "cgpi", "cif", "rcci", "rcsi", "dpo", "senior", "junior", "head", "manager", "director", "officer",
    "analyst", "associate", "partner", "managing", "vp", "svp", "evp", "chairman", "chairwoman", "chair",
    "founder", "co-founder", "ceo", "cfo", "coo", "cio", "cto", "cmo", "cco", "chief", "portfolio",
    "relationship", "sales", "trader", "counsel", "attorney", "lawyer", "secretary", "treasurer", "coordinator",
    "specialist", "executive", "lead", "engineer", "economist", "strategist", "advisor", "adviser",
    "principal", "controller", "accountant", "administrator", "representative", "private", "family",
    "deputy", "general", "global", "regional", "country", "investment", "fund", "product", "client",
    "business", "key", "account", "operations", "compliance", "research", "office", "middle", "back",
    "agent", "expert", "professeur", "professor", "intern", "trainee", "vice", "team", "sous-directeur",
    "sous-directrice", "directeur-adjoint", "adjoint", "adjointe", "coordinateur", "coordinatrice",
    "ingenieure", "redacteur", "redactrice", "journaliste", "gestionnaire-conseil", "planificateur",
    "souscriptrice", "secretaire-general", "tresorier-adjoint", "president-directeur",
];

/// Words that end an English job title ("Fund Onboarding Manager", "Private Banker").
pub const TITLE_TAILS: &[&str] = &[
    "manager", "director", "officer", "analyst", "associate", "partner", "banker", "advisor", "adviser",
    "consultant", "specialist", "coordinator", "assistant", "executive", "sales", "engineer", "president",
    "head", "lead", "strategist", "economist", "trader", "counsel", "ceo", "cfo", "coo", "cio", "cto",
    "founder", "chairman", "secretary", "treasurer", "controller", "accountant", "administrator", "intern",
    "representative", "principal", "actuary", "underwriter", "planner", "broker",
];

/// Title heads that are also common in company names and need the rest of the segment to decide.
pub const AMBIGUOUS_HEADS: &[&str] = &[
    "private", "family", "global", "general", "investment", "fund", "product", "client", "business", "key",
    "account", "operations", "compliance", "research", "office", "middle", "back", "regional", "country",
    "team", "expert", "agent", "senior", "junior", "partner", "associate", "portfolio", "relationship",
];

/// Legal forms (folded, compared per word with dots removed).
pub const LEGAL_FORMS: &[&str] = &[
    "sa", "sas", "sasu", "sarl", "eurl", "sca", "scs", "snc", "sci", "scp", "selarl", "selas", "se", "gie",
    "ag", "ab", "nv", "bv", "gmbh", "kg", "ltd", "limited", "llp", "llc", "lp", "inc", "corp", "plc", "spa",
    "srl", "sarl", "oy", "asa", "sicav", "cie", "co", "sgp", "sl", "kft", "sprl", "scrl", "sca", "bvba",
];

/// Words typical of organisation names (asset management, banking, insurance, advice...).
pub const COMPANY_CUES: &[&str] = &[
    "gestion", "capital", "capitaux", "partners", "partenaires", "associes", "associees", "conseil",
    "conseils", "patrimoine", "finance", "financiere", "financial", "invest", "investissement",
    "investissements", "investment", "investments", "investors", "investisseurs", "am", "im", "reim",
    "management", "managers", "advisors", "advisers", "advisory", "wealth", "mfo", "banque", "bank", "banca",
    "credit", "caisse", "mutuelle", "mutualiste", "mutual", "mutuelles", "assurance", "assurances",
    "insurance", "prevoyance", "courtage", "fondation", "foundation", "association", "cabinet", "groupe",
    "group", "holding", "plateforme", "platform", "securities", "services", "administration", "trust",
    "trustees", "pension", "fonciere", "participations", "industries", "notaires", "avocats", "multigestion",
    "consulting", "ventures", "solutions", "technologies", "systems", "immobilier", "epargne", "courtiers",
    "retraite", "endowment", "funds", "societe", "company", "compagnie", "institut", "institute", "etude",
    "entreprise", "enterprises", "corporation", "international", "bancaire", "mutualite", "office",
    "multi-family", "family", "private", "privee", "selection", "capital-risque", "equity", "ventures",
    "fiduciaire", "fiducie", "asset", "assets", "markets", "gestions", "patrimoines", "cgpi", "mutuel",
    "laboratoires", "conseil-patrimoine", "patrimonial", "finances", "consultants", "associates", "agency",
    "cooperative", "federation", "union", "chambre", "syndicat", "fund", "fonds", "trading", "energie",
    "immobiliere", "opci", "scpi", "developpement", "transactions", "expertise",
    "audit", "experts", "avocat", "notaire", "office", "offices",
];

/// Place names that may follow a title ("Head of Distribution, France & Benelux").
pub const PLACES: &[&str] = &[
    "france", "benelux", "europe", "uk", "emea", "apac", "asia", "americas", "belgique", "belgium", "suisse",
    "switzerland", "luxembourg", "allemagne", "germany", "italie", "italy", "espagne", "spain", "monaco",
    "paris", "lyon", "marseille", "bordeaux", "toulouse", "nantes", "lille", "strasbourg", "nice", "rennes",
    "geneve", "geneva", "zurich", "londres", "london", "bruxelles", "brussels", "nordics", "iberia",
    "dach", "latam", "us", "usa", "north", "south", "east", "west", "nord", "sud", "est", "ouest", "grand",
    "international", "global", "region", "regions", "idf", "ile-de-france", "outre-mer",
];

/// Honorifics dropped from names.
pub const HONORIFICS: &[&str] = &[
    "m", "mr", "mrs", "ms", "miss", "mme", "mlle", "mmes", "me", "maitre", "dr", "docteur", "pr",
    "professeur", "prof", "sir", "dame", "monsieur", "madame", "mademoiselle",
];

/// Credentials dropped from names ("Laurent Pichard, CFA").
pub const CREDENTIALS: &[&str] = &[
    "cfa", "caia", "frm", "phd", "ph.d", "mba", "cpa", "cfp", "cif", "cgp", "cgpi", "acca", "aca", "msc",
    "bsc", "jd", "llm", "esq", "dba", "frsa", "cipm", "cmt", "fca", "fcca", "cpcc", "pmp",
];

/// Words that are never part of a person's name in a signature.
pub const NOT_NAME: &[&str] = &[
    "merci", "bonjour", "bonsoir", "cordialement", "salutations", "amities", "amicalement", "madame",
    "monsieur", "service", "services", "equipe", "team", "direction", "agence", "bureau", "pour", "le", "la",
    "les", "l", "stop", "ok", "oui", "non", "thanks", "thank", "hello", "hi", "bonne", "bon", "belle",
    "journee", "tel", "tél", "mobile", "fax", "email", "mail", "www", "regards", "best", "kind", "sent",
    "envoye", "desinscription", "unsubscribe", "urgent", "important", "confidentiel", "confidential",
    "reponse", "automatique", "absent", "absence", "the", "and", "et", "de", "du", "des", "votre", "vos",
    "notre", "nos", "mon", "ma", "mes", "your", "our", "my", "siege", "standard", "accueil", "contact",
    "secretariat", "support", "info", "infos", "news", "newsletter", "lettre", "hebdo", "weekly", "daily",
    "svp", "please", "cheers", "a", "au", "aux", "en", "sur", "with", "from", "to", "of", "by", "avec",
    "sans", "dans", "chez", "via", "ps", "pj", "nb", "objet", "subject", "re", "tr", "fwd", "fw", "date",
    "linkedin", "twitter", "site", "web", "website", "internet", "adresse", "address", "phone", "telephone",
    "portable", "ligne", "directe", "direct", "bien", "tres", "vous", "toi", "nous", "je", "il", "elle",
    "on", "ce", "cette", "ces", "un", "une", "qui", "que", "quoi", "mais", "ou", "donc", "car", "ni", "si",
    "comite", "committee", "conseil", "board", "plus", "moins", "bisous", "bises", "courage", "cdlt", "cdt",
];

/// Lines that open a signature-like branch or department, not a person ("Bureau de Paris").
pub const BRANCH_HEADS: &[&str] = &["bureau", "agence", "succursale", "branch", "siege", "antenne", "direction", "departement", "department", "pole", "service"];
