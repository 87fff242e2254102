#!/usr/bin/env python3
"""Writes lines.jsonl: email endings with a label per line, for the signature line model.

    python3 generate.py DIR      (ops/train --check regenerates and compares)

Each ending: sometimes a few body sentences, sometimes a closing formula, then a signature in a
varied order (name first with or without a closing, titles in French or English, companies as names,
acronyms or domains, one- or multi-line addresses with CS/BP/CEDEX, labelled phones, emails, URLs and
bare domains, LinkedIn), sometimes several pieces on one line (`mixed`), sometimes legal mentions
and a device line. Names come from the Faker lists in data/gazetteers (MIT); everything else was
written for this project. Standard library only; fixed seed. `group` = ending number (for folds).
"""
import json
import pathlib
import random
import sys

SEED = 41
N = 2400
HERE = pathlib.Path(__file__).resolve().parent
GZ = HERE.parent.parent / "data" / "gazetteers"
FIRST = (GZ / "first_names.txt").read_text(encoding="utf-8").split("\n")[:-1]
LAST = (GZ / "last_names.txt").read_text(encoding="utf-8").split("\n")[:-1]

TITLES_FR = ["Directrice des Partenariats", "Directeur Général", "Responsable commercial", "Gérant",
             "Conseillère en gestion de patrimoine", "Chargé d'affaires", "Associé fondateur", "Président",
             "Directeur de la gestion privée", "Responsable middle office", "Analyste crédit",
             "Responsable de la sélection de fonds", "Banquier privé", "Directrice juridique",
             "Responsable conformité et contrôle interne", "Chargée de clientèle", "Assistante de direction",
             "Directeur du développement", "Gestionnaire de portefeuille", "Secrétaire général",
             "Ingénieur patrimonial", "Responsable des relations investisseurs", "Directrice administrative et financière",
             "Courtier en assurances", "Conseiller en investissements financiers", "Directeur commercial Grand Ouest"]
TITLES_EN = ["Head of Sales", "Managing Director", "Partner", "Portfolio Manager", "Investment Director",
             "Senior Relationship Manager", "Chief Executive Officer", "Business Development Manager",
             "Head of Fund Selection", "Client Services Associate", "Compliance Officer", "Wealth Planner",
             "Director, Institutional Clients", "Analyst", "Executive Assistant", "Chief Investment Officer",
             "Sales Trader", "VP Distribution"]
ORG_WORDS = ["Gestion", "Patrimoine", "Finance", "Capital", "Partners", "Conseil", "Investissements",
             "Asset Management", "Family Office", "Associés", "Wealth", "Advisory", "Courtage", "Banque",
             "Gestion Privée", "Invest", "AM", "Groupe", "Holding"]
LEGAL = ["SAS", "SA", "SARL", "& Cie", "& Associés", "Ltd", "LLP", "SCS", ""]
WORDS = ["Alizé", "Boréal", "Cèdre", "Horizon", "Lumen", "Meridian", "Orée", "Quartz", "Sillon", "Vauban",
         "Tilia", "Kerlan", "Ondine", "Astrée", "Nova", "Mistral", "Argos", "Helios", "Ardent", "Saphir"]
CITIES = ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Bordeaux", "Lille", "Rennes", "Strasbourg",
          "Nice", "Montpellier", "Grenoble", "Dijon", "Angers", "Reims", "Tours", "Metz", "Caen", "Rouen",
          "Brest", "Limoges", "Orléans", "Clermont-Ferrand", "Annecy", "Pau", "La Rochelle",
          "Neuilly-sur-Seine", "Boulogne-Billancourt", "Levallois-Perret", "Courbevoie", "Versailles"]
STREETS = ["rue", "avenue", "boulevard", "place", "quai", "allée", "chemin", "impasse", "cours", "route"]
STREET_NAMES = ["de la République", "Victor Hugo", "du Général de Gaulle", "des Tanneurs", "de Rivoli",
                "Montaigne", "Saint-Honoré", "de la Liberté", "Pasteur", "des Lilas", "Jean Jaurès", "du Port"]
CLOSINGS_FR = ["Cordialement,", "Bien cordialement,", "Bien à vous,", "Sincères salutations,", "Très cordialement,",
               "Belle journée,", "Je vous prie d'agréer mes salutations distinguées."]
CLOSINGS_EN = ["Best regards,", "Kind regards,", "Regards,", "Best,", "Many thanks,", "Sincerely,"]
BODY_FR = ["Je reste à votre disposition pour tout complément.", "Merci pour votre retour rapide.",
           "Vous trouverez ci-joint la documentation demandée.", "Nous revenons vers vous dès que possible.",
           "Dans l'attente de votre réponse,", "N'hésitez pas à me contacter.", "Bonne réception."]
BODY_EN = ["Let me know if you need anything else.", "Thanks for getting back to me.",
           "Please find attached the documents you asked for.", "Looking forward to hearing from you.",
           "Happy to discuss further.", "Speak soon."]
LEGAL_LINES = ["{co} – Société de gestion agréée par l'AMF sous le n° GP-{n}", "SAS au capital de {cap} € – RCS Paris {rcs}",
               "Ce message et ses pièces jointes sont confidentiels. S'il ne vous est pas destiné, merci de le détruire.",
               "This email and any attachments are confidential and may be privileged.",
               "Pensez à l'environnement avant d'imprimer ce message.", "ORIAS n° {orias} – www.orias.fr",
               "Authorised and regulated by the Financial Conduct Authority."]
DEVICE = ["Envoyé de mon iPhone", "Sent from my iPhone", "Envoyé depuis mon mobile", "Get Outlook for Android"]


def r(rng, xs):
    return rng.choice(xs)


def person(rng):
    first = r(rng, FIRST)
    if rng.random() < 0.12:
        first = f"{first}-{r(rng, FIRST)}"
    last = r(rng, LAST)
    if rng.random() < 0.1:
        last = f"{last}-{r(rng, LAST)}"
    if rng.random() < 0.12:
        last = last.upper()
    return first, last


def company(rng, last):
    k = rng.random()
    w = r(rng, WORDS)
    if k < 0.3:
        return f"{w} {r(rng, ORG_WORDS)} {r(rng, LEGAL)}".strip()
    if k < 0.45:
        return f"{last} {r(rng, ORG_WORDS)}"
    if k < 0.55:
        return f"Cabinet {last}"
    if k < 0.65:
        return f"{w.upper()} {r(rng, ORG_WORDS).upper()}"
    if k < 0.8:
        return f"{w}{r(rng, ['Conseil', 'Patrimoine', 'Invest', 'Finance'])}.{r(rng, ['fr', 'com', 'eu'])}"
    return f"{r(rng, ['Banque', 'Groupe', 'Maison'])} {w}"


def slug(s):
    out = []
    for c in s.lower():
        out.append(c if c.isalnum() else "-")
    return "".join(out).strip("-").replace("--", "-")


def phone(rng, fr):
    d = [rng.randrange(10) for _ in range(8)]
    pre = r(rng, ["01", "02", "03", "04", "05", "06", "07", "09"])
    num = f"{pre} {d[0]}{d[1]} {d[2]}{d[3]} {d[4]}{d[5]} {d[6]}{d[7]}"
    if rng.random() < 0.3:
        num = f"+33 {pre[1]} {d[0]}{d[1]} {d[2]}{d[3]} {d[4]}{d[5]} {d[6]}{d[7]}"
    elif rng.random() < 0.1:
        num = f"+33 (0){pre[1]} {d[0]}{d[1]} {d[2]}{d[3]} {d[4]}{d[5]} {d[6]}{d[7]}"
    if not fr and rng.random() < 0.5:
        num = f"+44 20 {d[0]}{d[1]}{d[2]}{d[3]} {d[4]}{d[5]}{d[6]}{d[7]}"
    label = r(rng, ["Tél. : ", "Tél : ", "T. ", "Mob. ", "Mobile : ", "Ligne directe : ", "Portable ", "", "", "M : ",
                    "Tel: ", "Direct: ", "Mobile: "])
    return label + num, num


def address(rng):
    street = f"{rng.randrange(1, 180)} {r(rng, STREETS)} {r(rng, STREET_NAMES)}"
    city = r(rng, CITIES)
    cp = f"{rng.randrange(10, 96):02d}{rng.randrange(0, 1000):03d}"
    k = rng.random()
    if k < 0.4:
        return [f"{street}, {cp} {city}"]
    if k < 0.7:
        return [street, f"{cp} {city}"]
    return [street, f"{r(rng, ['CS', 'BP'])} {rng.randrange(10000, 99999)}", f"{cp} {city} Cedex {rng.randrange(1, 20):02d}"]


def ending(rng):
    fr = rng.random() < 0.7
    first, last = person(rng)
    co = company(rng, last)
    dom = co.lower() if "." in co else f"{slug(co.split(' ')[0])}-{r(rng, ['gestion', 'am', 'patrimoine', 'finance'])}.{r(rng, ['fr', 'com'])}"
    lines = []
    if rng.random() < 0.5:
        for _ in range(rng.randrange(1, 3)):
            lines.append((r(rng, BODY_FR if fr else BODY_EN), "body"))
        lines.append(("", "blank"))
    if rng.random() < 0.6:
        lines.append((r(rng, CLOSINGS_FR if fr else CLOSINGS_EN), "closing"))
        if rng.random() < 0.5:
            lines.append(("", "blank"))
    honor = r(rng, ["", "", "", "M. ", "Mme ", "Dr "]) if fr else ""
    cred = r(rng, ["", "", "", "", ", CFA", ", CIF"])
    name = f"{honor}{first} {last}{cred}"
    title = r(rng, TITLES_FR if fr or rng.random() < 0.3 else TITLES_EN)
    fields = {"name": f"{first} {last}", "title": None, "company": None, "phones": [], "emails": [],
              "urls": [], "linkedin": None, "address": None}
    parts = []
    parts.append([(name, "name")])
    if rng.random() < 0.85:
        parts.append([(title, "title")])
        fields["title"] = title
    if rng.random() < 0.85:
        parts.append([(co, "company")])
        fields["company"] = co
        if "." in co:
            # a company written as a domain is also the website (the analyser reports both)
            fields["urls"].append(co)
    if rng.random() < 0.5:
        addr = address(rng)
        parts.append([(a, "address") for a in addr])
        fields["address"] = "\n".join(addr)
    for _ in range(rng.randrange(0, 3)):
        line, num = phone(rng, fr)
        parts.append([(line, "contact")])
        fields["phones"].append(num)
    if rng.random() < 0.6:
        mail = f"{slug(first)}.{slug(last)}@{dom}"
        parts.append([(mail, "contact")])
        fields["emails"].append(mail)
    if rng.random() < 0.45:
        url = r(rng, [f"www.{dom}", dom, f"https://www.{dom}", f"https://{dom}/"])
        parts.append([(url, "contact")])
        # one website once, in its most explicit form (the company written as the same domain
        # gives way to a www./https form; a bare repeat of it adds nothing)
        same = [u for u in fields["urls"] if u.lower() == dom]
        if same and (url.startswith("www.") or url.startswith("https://")):
            fields["urls"] = [u for u in fields["urls"] if u not in same]
        if not same or url.startswith("www.") or url.startswith("https://"):
            fields["urls"].append(url)
    if rng.random() < 0.15:
        li = f"linkedin.com/in/{slug(first)}-{slug(last)}"
        parts.append([(li, "contact")])
        fields["linkedin"] = li
    # mostly name, title, company first; sometimes shuffled after the name
    if rng.random() < 0.25:
        head, rest = parts[0], parts[1:]
        rng.shuffle(rest)
        parts = [head] + rest
    if rng.random() < 0.2 and len(parts) >= 3:
        # several pieces on one line
        k = rng.randrange(2, min(4, len(parts)) + 1)
        sep = r(rng, [" | ", " – ", " - ", " / ", " · ", ", "])
        merged = sep.join(p[0][0] for p in parts[:k])
        parts = [[(merged, "mixed")]] + parts[k:]
    for p in parts:
        lines.extend(p)
    if rng.random() < 0.3:
        lines.append(("", "blank"))
        for _ in range(rng.randrange(1, 3)):
            lines.append((r(rng, LEGAL_LINES).format(co=co, n=rng.randrange(10**7, 10**8),
                                                     cap=r(rng, ["1 000 000", "250 000"]),
                                                     rcs=rng.randrange(10**8, 10**9), orias=rng.randrange(10**7, 10**8)),
                          "legal"))
    if rng.random() < 0.08:
        lines.append((r(rng, DEVICE), "legal"))
    # vocabulary fold: endings sharing a job title share a fold, so a held-out fold's titles were
    # never seen in training (the field-level cross-validation of train-signature)
    vocab_fold = (TITLES_FR + TITLES_EN).index(title) % 5 if fields["title"] else None
    return "fr" if fr else "en", lines, fields, vocab_fold


def main():
    outdir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    rng = random.Random(SEED)
    with open(outdir / "lines.jsonl", "w", encoding="utf-8") as out:
        for n in range(N):
            lang, lines, fields, vocab_fold = ending(rng)
            fold = n % 5 if vocab_fold is None else vocab_fold
            rec = {"group": n, "lang": lang, "lines": [[t, lab] for t, lab in lines], "fields": fields,
                   "vocab_fold": fold}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
