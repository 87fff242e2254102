#!/usr/bin/env python3
"""Writes ops/demo/mailbox.mbox: a few hundred French business emails of a (fictitious) asset-management
distributor, in threads, for the demo that `ops/run` imports with the `mail.import` job.

Every name, company, fund, code and figure is invented. Deterministic: the same seed gives the same file.

    python3 ops/demo/generate_mailbox.py [--seed 2026] [--out ops/demo/mailbox.mbox]
"""

import argparse
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

ACCOUNT = ("Camille Lefort", "camille.lefort@distri-demo.fr")

COMPANIES = [
    ("Banque Privée Valmont", "valmont-bp.fr", "distributeur"),
    ("Cabinet Arcadie Patrimoine", "arcadie-patrimoine.fr", "CGP"),
    ("Mutuelle des Tisserands", "mutuelle-tisserands.fr", "investisseur"),
    ("Caisse de Retraite Lumière", "crl-retraite.fr", "investisseur"),
    ("Horizon Gestion", "horizon-gestion.fr", "société de gestion"),
    ("Ostrea Asset Management", "ostrea-am.fr", "société de gestion"),
    ("Fondation Belle-Île", "fondation-belleile.org", "investisseur"),
    ("Groupe Sables d'Or Assurances", "sablesdor-assur.fr", "assureur"),
    ("Family Office Kermadec", "kermadec-fo.fr", "family office"),
    ("Conseil Patrimonial du Rhône", "cpr-conseil.fr", "CGP"),
    ("Dépositaire Quai Saint-Michel", "qsm-depositaire.fr", "prestataire"),
    ("Plateforme Agora Fonds", "agora-fonds.fr", "plateforme"),
]

FIRST = ["Jeanne", "Marc", "Sophie", "Olivier", "Claire", "Thomas", "Isabelle", "Nicolas", "Hélène",
         "Julien", "Anne", "Pierre", "Lucie", "François", "Élodie", "Antoine", "Margaux", "Bruno",
         "Nathalie", "Guillaume", "Agnès", "Rémi", "Solène", "Yann"]
LAST = ["Martin", "Bernard", "Dubreuil", "Lambert", "Garnier", "Rousseau", "Morel", "Fournier",
        "Girard", "Bonnet", "Chevalier", "Perrin", "Marchand", "Lemoine", "Roux", "Vasseur",
        "Caradec", "Le Goff", "Aubry", "Texier"]
TITLES = ["Directeur des investissements", "Responsable sélection de fonds", "Conseiller en gestion de patrimoine",
          "Directrice financière", "Gérant", "Responsable partenariats", "Analyste", "Trésorier"]

FUNDS = [
    ("Horizon Obligations 2029", "FR0099000011"),
    ("Ostrea Actions Europe ISR", "FR0099000029"),
    ("Horizon Crédit Court Terme", "FR0099000037"),
    ("Ostrea Small Caps France", "FR0099000045"),
    ("Horizon Multi-Actifs Prudent", "FR0099000052"),
    ("Ostrea Infrastructures Durables", "FR0099000060"),
]

TOPICS = [
    ("Souscription {fund}", [
        "Bonjour {first},\n\nSuite à notre échange, je vous confirme l'intérêt de {company} pour une souscription "
        "de {amount} dans {fund} (part I, code {isin}). Pourriez-vous nous transmettre le bulletin et le DIC à jour ?\n",
        "Bonjour {first},\n\nMerci pour votre retour. Vous trouverez le bulletin de souscription en pièce jointe ; "
        "la valeur liquidative est calculée chaque jour, cut-off à 12h00 chez le dépositaire.\n",
        "Bonjour,\n\nBulletin signé retourné ce jour. Le règlement de {amount} partira en J+2.\n",
        "Parfait, bien reçu. Je vous confirme l'exécution dès réception de l'avis d'opéré.\n",
    ]),
    ("Reporting mensuel {fund} - {month}", [
        "Bonjour {first},\n\nVeuillez trouver le reporting mensuel de {fund} pour {month} : performance de {perf} "
        "sur le mois, encours de {aum}. Le commentaire de gestion détaille le positionnement.\n",
        "Merci {first}. Pourriez-vous préciser la contribution de la poche crédit à la performance ?\n",
        "Bonjour,\n\nLa poche crédit contribue pour {contrib} ; la duration du portefeuille est de {duration} ans.\n",
    ]),
    ("Due diligence {company}", [
        "Bonjour {first},\n\nDans le cadre de notre processus de sélection, nous vous adressons le questionnaire de "
        "due diligence (gouvernance, risques, ESG). Une réponse sous trois semaines serait idéale.\n",
        "Bonjour,\n\nBien reçu, nous revenons vers vous avec les réponses et les politiques de vote et d'engagement.\n",
        "Voici nos réponses complètes. Nous restons disponibles pour une visite sur site.\n",
        "Merci, notre comité de sélection se réunit le {date}. Je vous tiens informé(e).\n",
    ]),
    ("Invitation : petit-déjeuner marchés du {date}", [
        "Madame, Monsieur,\n\nNous avons le plaisir de vous convier à notre petit-déjeuner perspectives marchés, "
        "le {date} à 8h30, à Paris 8e. Merci de confirmer votre présence.\n",
        "Bonjour,\n\nAvec plaisir, je serai présent(e) accompagné(e) d'un collègue.\n",
    ]),
    ("Convention de distribution - {company}", [
        "Bonjour {first},\n\nVous trouverez ci-joint le projet de convention de distribution. Les rétrocessions "
        "proposées sont de {retro} des frais de gestion.\n",
        "Bonjour,\n\nNotre service juridique a quelques remarques sur l'article 7 (reporting réglementaire MIF II).\n",
        "Nous intégrons vos remarques et vous renvoyons une version révisée d'ici vendredi.\n",
        "Version signée retournée, merci pour la fluidité des échanges.\n",
    ]),
    ("Rachat partiel {fund}", [
        "Bonjour {first},\n\nNous souhaitons procéder à un rachat partiel de {amount} sur {fund}. "
        "Quel est le préavis applicable ?\n",
        "Bonjour,\n\nAucun préavis sur la part I : ordre centralisé avant 12h00, règlement en J+3.\n",
    ]),
    ("Question sur les frais de {fund}", [
        "Bonjour,\n\nPourriez-vous nous confirmer les frais courants de {fund} et l'existence d'une commission de "
        "surperformance ?\n",
        "Bonjour {first},\n\nLes frais courants sont de {fees} ; pas de commission de surperformance sur cette part.\n",
    ]),
]

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "septembre", "octobre", "novembre"]
PREFIXES = ["RE : ", "Re: ", "RE: "]


def money(rng):
    return f"{rng.choice([250, 500, 750, 1000, 1500, 2000, 3000, 5000])} 000 €"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default=str(Path(__file__).with_name("mailbox.mbox")))
    parser.add_argument("--threads", type=int, default=140)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    people = []
    for name, domain, kind in COMPANIES:
        for _ in range(rng.randint(1, 3)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{first}.{last}".lower().replace(" ", "-")
            for a, b in (("é", "e"), ("è", "e"), ("ë", "e"), ("ç", "c"), ("ô", "o"), ("'", "")):
                local = local.replace(a, b)
            people.append({"first": first, "name": f"{first} {last}", "email": f"{local}@{domain}",
                           "company": name, "title": rng.choice(TITLES)})

    start = datetime(2026, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    messages = []
    counter = 0
    for t in range(args.threads):
        contact = rng.choice(people)
        topic, bodies = rng.choice(TOPICS)
        fund, isin = rng.choice(FUNDS)
        fields = {
            "first": contact["first"], "company": contact["company"], "fund": fund, "isin": isin,
            "amount": money(rng), "month": rng.choice(MONTHS) + " 2026", "perf": f"{rng.uniform(-2.5, 3.5):+.2f} %".replace(".", ","),
            "aum": f"{rng.randint(80, 1900)} M€", "contrib": f"{rng.uniform(0.1, 1.2):.2f} %".replace(".", ","),
            "duration": f"{rng.uniform(1.5, 6.5):.1f}".replace(".", ","), "retro": f"{rng.choice([30, 35, 40, 45, 50])} %",
            "fees": f"{rng.uniform(0.35, 1.8):.2f} %".replace(".", ","),
            "date": (start + timedelta(days=rng.randint(10, 300))).strftime("%d/%m/%Y"),
        }
        subject = topic.format(**fields)
        when = start + timedelta(days=rng.randint(0, 320), hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
        outbound_first = rng.random() < 0.55
        n = rng.randint(1, len(bodies))
        refs = []
        for i in range(n):
            counter += 1
            outbound = outbound_first if i % 2 == 0 else not outbound_first
            sender = (ACCOUNT[0], ACCOUNT[1]) if outbound else (contact["name"], contact["email"])
            recipient = (contact["name"], contact["email"]) if outbound else ACCOUNT
            body = bodies[i].format(**fields)
            signature = (f"\n{ACCOUNT[0]}\nChargée de relations investisseurs\nDistri Démo SAS\n" if outbound else
                         f"\nCordialement,\n{contact['name']}\n{contact['title']}\n{contact['company']}\n")
            if i > 0 and rng.random() < 0.5:
                body += "\n> " + bodies[i - 1].format(**fields).strip().replace("\n", "\n> ") + "\n"
            mid = f"<{when.strftime('%Y%m%d%H%M%S')}.{counter:05d}@{(ACCOUNT[1] if outbound else contact['email']).split('@')[1]}>"
            headers = [
                f"From: {sender[0]} <{sender[1]}>",
                f"To: {recipient[0]} <{recipient[1]}>",
                f"Subject: {(rng.choice(PREFIXES) if i else '') + subject}",
                f"Date: {format_datetime(when)}",
                f"Message-ID: {mid}",
            ]
            if refs:
                headers.append(f"In-Reply-To: {refs[-1]}")
                headers.append("References: " + " ".join(refs[-8:]))
            headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
            messages.append((when, headers, body + signature))
            refs.append(mid)
            when += timedelta(hours=rng.randint(1, 72), minutes=rng.randint(0, 59))

    messages.sort(key=lambda m: m[0])
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        for when, headers, body in messages:
            out.write(f"From MAILER-DAEMON {when.astimezone(timezone.utc).strftime('%a %b %d %H:%M:%S %Y')}\n")
            out.write("\n".join(headers) + "\n\n")
            for line in body.splitlines():
                out.write((">" + line if line.lstrip(">").startswith("From ") else line) + "\n")
            out.write("\n")
    print(f"{len(messages)} messages in {args.threads} threads written to {args.out}")


if __name__ == "__main__":
    main()
