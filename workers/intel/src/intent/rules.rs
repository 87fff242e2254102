//! Content rules per intent label, French and English, over folded sentences (lower-case, no
//! accents). A rule adds its weight to its label when it matches a sentence; `ctx` rules count only
//! in a sentence that asks for something (question, "pourriez-vous", "please"...).
//! Written from the definitions of INTENTS.md, not from any message of a data set.

use crate::analysis::IntentLabel::{self, *};
use crate::text::re;
use regex::Regex;
use std::sync::LazyLock;

pub struct Rule {
    pub label: IntentLabel,
    pub name: &'static str,
    pub weight: f64,
    /// Counts only in a sentence that asks for something.
    pub ctx: bool,
    /// Skipped in a negated sentence ("ne ... pas", "not").
    pub positive_only: bool,
    pub re: Regex,
}

/// A sentence asks for something.
pub static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\?|\b(pourriez|pourrais|pouvez|pourrions|pouvons|pourras|peux-tu|peux tu|serait-il|serait il|est-il possible|serait-ce possible|auriez|avez-vous|seriez|merci de (me|nous|bien vouloir|m'|l')|merci d'avance de",
        r"|je vous (prie|remercie) de|nous vous (prions|remercions) de|je souhaite|je souhaiterais|nous souhaitons|nous souhaiterions|souhaiterait|j'aimerais|nous aimerions|je voudrais|nous voudrions",
        r"|veuillez|je vous demande|nous vous demandons|je sollicite|je vous saurais gre|puis-je|peut-on|est-ce que|besoin de|j'ai besoin|nous avons besoin|envoyez|transmettez|adressez|faites-moi|faites-nous",
        r"|indiquez|precisez|communiquez|dites-moi|dites-nous|tenez-moi|could you|can you|would you|could we|can we|shall we|please|i would like|we would like|i'd like|we'd like|kindly|i request|we request",
        r"|let me know|i need|we need|we are looking for|i am looking for|would welcome|i'd welcome|would appreciate|grateful if|je serais (ravi|heureux|reconnaissant)|un retour avant|merci de bien vouloir)"
    ))
});

/// A sentence is negated.
pub static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(ne|n'|pas|plus|jamais|aucun|aucune|not|no|never|n't|nor|neither)\b|n't\b|\bn'")
});

/// Phrases removed before matching because they are politeness, not requests.
pub static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"n'hesitez pas a (me|nous) (contacter|rappeler|appeler|joindre|solliciter|ecrire)[^?!]*|feel free to (contact|call|reach)[^?!]*|do not hesitate to (contact|call)[^?!]*|don't hesitate to (contact|call)[^?!]*|(desole|desolee|excusez|pardon|sorry|apologies|je m'excuse)[^?!]{0,30}(retard|delai|delay|late)[^?!]*|je reste (a votre|joignable)[^?!]*|restant a votre disposition[^?!]*",
    )
});

type Spec = (IntentLabel, &'static str, f64, bool, bool, &'static str);

const SPECS: &[Spec] = &[
    // ---- gdpr_request: data-protection rights over one's own data
    (
        GdprRequest,
        "gdpr_law",
        0.75,
        false,
        false,
        r"\b(rgpd|gdpr|cnil|dpo|data protection officer|delegue a la protection des donnees|reglement general sur la protection des donnees|general data protection regulation|loi informatique et libertes)\b",
    ),
    (
        GdprRequest,
        "gdpr_right",
        2.0,
        false,
        false,
        r"droit (d'acces|d'opposition|de rectification|a l'effacement|d'effacement|a l'oubli|a la portabilite|de portabilite|a la limitation|de limitation)|right (of access|to access|to erasure|to be forgotten|to rectification|to object|to (data )?portability|to restrict)|subject access request|\bdsar\b|data subject (access )?request",
    ),
    (
        GdprRequest,
        "gdpr_delete_my_data",
        2.0,
        false,
        false,
        r"(supprim|effac|detrui|eras|delet|remov)\w*\s+(de |from )?(toutes |all |l'ensemble de |l'integralite de |any (of )?|tout )?(mes|my|les|the|des|vos) (donnees|data|coordonnees|informations personnelles|personal (data|information|details)|fichiers? me concernant)|(mes|my) (donnees|coordonnees|personal data|data)\b[^?!]{0,40}\b(supprim|effac|delet|eras)",
    ),
    (
        GdprRequest,
        "gdpr_data_held",
        2.0,
        false,
        false,
        r"(donnees|data|informations) (personnelles |personal )?(me concernant|about me|relating to me|que vous detenez|you hold|you have about me|que vous avez sur moi)|quelles donnees (vous )?(detenez|avez|conservez)|what (personal )?data (you|do you) hold|a quels tiers[^?!]{0,80}donnees|(data|donnees)[^?!]{0,40}(hold|holds|detenez|detient|conservez|have|has) (about|sur) (me|moi)|(request|requesting|demande) (d')?(access|acces) (to|a) (my|mes|the|aux) (personal )?(data|donnees)|copie de (mes|toutes mes) donnees|(information|informations|data|details|donnees|coordonnees) (you have|you hold|you keep|vous avez|que vous avez|que vous detenez|vous detenez|que vous conservez) (on|about|sur|me concernant) ?(me|moi)?|(delete|erase|remove|supprimer|supprimez|effacer|effacez|detruire|detruisez) (all|toutes?|l'ensemble des|any) (the |les |of the |my |mes )?(information|informations|data|donnees|details|coordonnees)|copy of (my|all my|the) (personal )?data|(destinataires|recipients) (de|of) (mes|my) donnees",
    ),
    (
        GdprRequest,
        "gdpr_objection",
        2.0,
        false,
        false,
        r"je m'oppose\b[^?!]{0,80}(traitement|prospection|utilisation)|object to (the )?(processing|use) of my|opposition au traitement|retire mon consentement|withdraw my consent",
    ),
    (
        GdprRequest,
        "gdpr_article",
        2.0,
        false,
        false,
        r"article (15|16|17|18|20|21)\b[^?!]{0,60}(rgpd|gdpr|reglement)|(rgpd|gdpr)[^?!]{0,30}article (15|16|17|18|20|21)\b|article (15|16|17|18|20|21) (du|of the) (rgpd|gdpr)",
    ),
    (
        GdprRequest,
        "gdpr_source",
        2.0,
        false,
        false,
        r"comment vous avez (obtenu|eu|recupere|trouve) (mes|mon)|how (did )?you (obtained|got|get|collected|found) my (data|details|email|contact|address|information)|origine de mes (donnees|coordonnees)|where you (got|obtained) my",
    ),
    (
        GdprRequest,
        "gdpr_portability",
        1.0,
        false,
        false,
        r"portabilite|portability|format (structure|lisible par machine)|machine-readable",
    ),
    // ---- unsubscribe: stop the mailings
    (
        Unsubscribe,
        "unsub_word",
        2.0,
        false,
        false,
        r"\b(desinscri\w*|desabonn\w*|unsubscrib\w*|opt[ -]?out)\b",
    ),
    (
        Unsubscribe,
        "unsub_stop",
        2.0,
        false,
        false,
        r"^\W*stop\W*$",
    ),
    (
        Unsubscribe,
        "unsub_remove_from_list",
        2.0,
        false,
        false,
        r"(retir|enlev|ray|sort|supprim|remov|take)\w*[^?!]{0,80}\b(listes?|mailing|diffusion|envois|newsletters?|campagnes|fichiers? de (diffusion|prospection)|distribution list|mailing list|list)\b",
    ),
    (
        Unsubscribe,
        "unsub_stop_sending",
        2.0,
        false,
        false,
        r"ne (plus|pas) (me |m'|nous )?(envoyer|adresser|recevoir|transmettre|solliciter|inviter)|ne (souhaite|souhaitons|veux|voulons) plus (recevoir|etre (sollicite|contacte|destinataire))|ne plus recevoir|ne plus etre (sollicite|contacte|destinataire)|(cessez|cesser|arretez|arreter) (de |d')?(m'|me |nous )?(envoyer|ecrire|adresser|solliciter|inviter|spammer)|(stop|quit) (sending|emailing|mailing|spamming)|no longer (wish|want) to receive|do not (send|email|mail) me|don't (send|email|mail) me|(take|remove) me off|stop (the )?(newsletter|emails|mails|mailings|invitations)",
    ),
    // ---- complaint: dissatisfaction, errors, delays, no answer
    (
        Complaint,
        "complaint_word",
        2.0,
        false,
        false,
        r"reclamation|mecontent\w*|inadmissible|inacceptable|pas acceptable|scandal\w*|indigne|honteu\w*|lamentable|deplorable|je conteste|nous contestons|contestation|formal complaint|\bcomplaint\b|complain\w*|unacceptable|not acceptable|mediateur|ombudsman|\bplainte\b|\blitige\b|dedommag\w*|indemnis\w*|furieu\w*|\bexcedee?s?\b|harcel\w*|\bdecue?\b|disappoint\w*|insatisf\w*|dissatisf\w*|frustrat\w*|outrage\w*|appalled|pas serieux|pas professionnel|unprofessional|poor service|mauvais service|service (deplorable|lamentable|catastrophique|inexistant)|tres decu|very disappointed|not happy|pas satisfait|pas content",
    ),
    (
        Complaint,
        "complaint_error",
        1.0,
        false,
        false,
        r"\berreurs?\b|errone\w*|incorrect\w*|\bwrong\b|mistakes?|\berrors?\b|inexact\w*|ne correspond\w* (pas|plus)[^?!]{0,40}(annonce|indique|convenu|prevu|promis|demande)|does not match|doesn't match|mauvais (compte|montant|fonds|fonds|isin|taux)",
    ),
    (
        Complaint,
        "complaint_not_received",
        1.0,
        false,
        false,
        r"(toujours|still) (pas|not|rien|nothing)\b[^?!]{0,40}(recu|percu|verse|credite|received|credited|paid|arrive)|n'ai (toujours )?(pas|jamais|rien) (recu|percu|touche)|(n'a|n'ont) (toujours )?(pas|jamais) ete (verse|credite|paye|rembourse|execute|traite)|not (yet )?(been )?(received|credited|paid|processed)|have not received|haven't received|never received|n'est (toujours )?pas (arrive|parvenu)",
    ),
    (
        Complaint,
        "complaint_delay",
        1.0,
        false,
        false,
        r"en retard|de retard|\bretard (de|dans|du)\b|\bdelays?\b|late (payment|again)|overdue|cela fait (deux|trois|quatre|plusieurs|\d+) (semaines|mois|jours)|it has been (two|three|several|\d+) (weeks|months)|(depuis|for) (deux|trois|plusieurs|\d+) (semaines|mois|weeks|months)[^?!]{0,40}(attends|attente|waiting|sans)",
    ),
    (
        Complaint,
        "complaint_no_answer",
        1.0,
        false,
        false,
        r"(aucune|pas de|sans|sans la moindre|toujours pas de) (reponse|retour|nouvelles|explication)|no (reply|response|answer|explanation)|never (replied|answered|heard back)|(deux|trois|plusieurs|\d) relances|malgre (mes|nos|deux|trois|plusieurs) (relances|appels|mails|courriers|emails)|despite (two|three|several|\d|repeated|my) (emails|calls|reminders|requests)|injoignable|impossible de (vous )?(joindre|contacter)",
    ),
    (
        Complaint,
        "complaint_broken",
        1.0,
        false,
        false,
        r"ne (fonctionne|marche) (pas|plus)|doesn't work|does not work|not working|impossible de (me connecter|se connecter|acceder)|cannot (log ?in|access|connect)|can't (log ?in|access)|\bbug\b|en panne|(has been|is|was) down\b|hors service|inaccessible|bloque depuis",
    ),
    (
        Complaint,
        "complaint_repeat",
        1.0,
        false,
        false,
        r"(ce n'est pas|c'est) la (premiere|deuxieme|seconde|troisieme|2e|3e|enieme) fois|(second|third|fourth|fifth|umpteenth) time|(second|third) (month|time) running|une fois de plus|encore une fois|once again",
    ),
    (
        Complaint,
        "complaint_demand",
        1.0,
        false,
        false,
        r"j'attends (des explications|une explication|un remboursement|une reponse|un geste)|je (vous )?demande (le remboursement|une explication|un dedommagement|la prise en charge|de prendre en charge)|prendre en charge les frais|(exige|exigeons|demand) (le |un |a )?(remboursement|refund|explanation)|\brembourse(ment|z|r)\b|\brefund\b|\bregularis\w*|put this right|rectify (this|the situation)|corriger (cette|ces|l')? ?erreur|please correct",
    ),
    (
        Complaint,
        "complaint_pushy",
        1.0,
        false,
        false,
        r"(appels|relances|sollicitations|mails|emails) (incessant|repete|insistant)\w*|(trop|tres) insistant|pushy|aggressive (sales|selling)|pratiques commerciales",
    ),
    // ---- quote_request: cost, fees, commercial offer
    (
        QuoteRequest,
        "quote_word",
        2.0,
        false,
        false,
        r"\bdevis\b|\bcotation\b|\bcoter\b|\bcotez\b|appels? d'offres|\bconsultation\b[^?!]{0,40}(gestion|mandat|offre|prestataire|societes de gestion)|cahier des charges|request for proposal|\brfp\b|\btender\b|proposition (commerciale|chiffree|tarifaire|financiere|d'honoraires)|offre (tarifaire|commerciale|de prix|chiffree|financiere)|conditions (tarifaires|financieres|commerciales|preferentielles)|fee proposal|proposition de (frais|tarifs|remuneration)|(quelles|what) (conditions|terms)|conditions (pouvez-vous|pourriez-vous|could you|can you)|vos (frais|honoraires|tarifs) (seraient|sont)|grille (de retrocessions?|tarifaire|des frais|de frais|de remuneration|de commissions?)|retrocessions?|\brebates?\b|fee (schedule|grid|structure|breakdown|proposal|quote)|\bpricing\b|price list|\bquotes?\b|\bquotation\b|\btarifs?\b|tarification|combien (coute|couterait|ca coute|cela (me |nous )?cout\w*|me couterait|nous couterait)|how much (does|would|will|is|are|do)",
    ),
    (
        QuoteRequest,
        "quote_fee_question",
        2.0,
        true,
        false,
        r"\bfrais\b|\bfees?\b|honoraires|\bcommissions?\b|\bcouts?\b|\bcosts?\b|\bprix\b|\bprices?\b|\bmarges?\b|coupon (indicatif|cible)|\bremises?\b|\bdiscounts?\b|reduction|breakpoints?|minimum (d'investissement|d'encours|initial|investment)|ticket minimum|set-up costs|ongoing (fee|charge)",
    ),
    // ---- meeting_request: arrange, move or ask for a call or a meeting
    (
        MeetingRequest,
        "meeting_arrange",
        2.0,
        false,
        false,
        r"(prendre|fixer|caler|organiser|planifier|convenir d'|programmer|decaler|reporter|deplacer|avancer|reprogrammer|obtenir|solliciter|booker|bloquer|trouver)\w*\s+(un |une |le |la |notre |ce |cet |d'un |d'une |des )?(nouveau |nouvel |nouvelle |petit |petite |court |courte |bref |breve )?(rendez-vous|rdv|point|call|appel|visio|visioconference|reunion|entretien|rencontre|dejeuner|cafe|echange telephonique|echange|creneau|creneaux|conference call|meeting|web-?conference|teams|zoom|date)",
    ),
    (
        MeetingRequest,
        "meeting_ask_rdv",
        2.0,
        true,
        false,
        r"(souhaiterais|souhaiterions|voudrais|voudrions|aimerais|aimerions|pouvons|pourrions|possible de|merci de|pourriez|pouvez|could|would like to|like to|want to)\W+(\w+\W+){0,4}(rendez-vous|rdv|call|meeting|visio|reunion|entretien|meet|rencontrer|se voir|vous voir|nous voir|catch up)",
    ),
    (
        MeetingRequest,
        "meeting_availability",
        2.0,
        true,
        false,
        r"\b(vos |tes |des |ses )?(disponibilites|disponibilite|disponible|disponibles|dispo|creneaux?|availability|available|free)\b",
    ),
    (
        MeetingRequest,
        "meeting_callback",
        2.0,
        false,
        false,
        r"(pouvez|pourriez|pourrais|merci de|veuillez|peux-tu)[- ]?(vous )?(me|nous) (rappeler|appeler|telephoner)|rappelez-moi|appelez-moi|call me back|give me a call|ring me",
    ),
    (
        MeetingRequest,
        "meeting_set_up_call",
        2.0,
        true,
        false,
        r"(set up|schedule|arrange|book|organise|organize|have|find|fix|plan) (a |an |some )?(quick |short |brief |time for a )?(call|meeting|time|slot|video ?call|zoom|teams( call)?|catch-up|chat|session|date)",
    ),
    (
        MeetingRequest,
        "meeting_meal",
        1.5,
        true,
        false,
        r"\b(coffee|lunch|breakfast|dinner|dejeuner|petit-dejeuner|diner|cafe)\b",
    ),
    (
        MeetingRequest,
        "meeting_present",
        2.0,
        false,
        false,
        r"(venir|vienne|viennent|viendrait|passer|intervenir|come (and|to))\w*\s+(\w+\s+){0,3}(presenter|present|nous presenter|y presenter)|(presentiez|presenter|present)\s+(\w+\s+){0,6}(a|devant|aupres de|to) (nos|notre|l'ensemble|our|the) (equipe|conseillers|clients|comite|team|committee|clients|investment committee)",
    ),
    (
        MeetingRequest,
        "meeting_reschedule",
        1.5,
        true,
        false,
        r"\b(decaler|reporter|deplacer|reprogrammer|reschedule|postpone|move)\b",
    ),
    (
        MeetingRequest,
        "meeting_video",
        1.0,
        true,
        false,
        r"\b(visio|visioconference|video ?call|conference call|teams|zoom|web-?conference)\b",
    ),
    (
        MeetingRequest,
        "meeting_get_together",
        2.0,
        false,
        false,
        r"(nous|se|vous|on) (retrouver|rencontrer|voir|croiser)\b|(s'appeler|s'appelle|se parler|se telephoner|s'entretenir|echanger (par telephone|de vive voix|en visio))\b|(un|quelques|une) (moment|minutes|instant|heure|demi-heure)s? (pour|a m'accorder|a nous accorder)|(meet|get together|catch up|sit down) (with you|in person|for)|(some|a few minutes of|a moment of) (your )?time (to|for)|when (would|are) you (be )?(available|free)|quand seriez-vous|quand pourrions-nous|seriez-vous (libre|disponible)",
    ),
    (
        MeetingRequest,
        "meeting_propose_slot",
        1.5,
        true,
        false,
        r"(cela|ca|ceci) vous (convient|conviendrait|irait)|(would|does) (that|this) (suit|work for) you|qu'en pensez-vous|je vous propose (le|de|un|une)|i (suggest|propose) (we|meeting|a call)|(lundi|mardi|mercredi|jeudi|vendredi|monday|tuesday|wednesday|thursday|friday)[^?!]{0,30}\b\d{1,2}\s?(h|pm|am)\b",
    ),
    (
        MeetingRequest,
        "meeting_presentation",
        1.5,
        true,
        false,
        r"\bpresentation\b|\bpresenter\b|\bpresent (your|the|to)\b|\battend\b|\bassister\b|\bintervenir\b",
    ),
    (
        MeetingRequest,
        "meeting_noun",
        0.5,
        false,
        false,
        r"\b(rendez-vous|rdv|meeting|reunion|call|visio)\b",
    ),
    // ---- information_request: documents and facts
    (
        InformationRequest,
        "info_send_doc",
        2.0,
        true,
        false,
        r"(envoyer|transmettre|adresser|communiquer|faire parvenir|faire suivre|indiquer|preciser|confirmer|partager|fournir|connaitre|savoir|obtenir|recevoir|disposer|avoir|send|share|provide|forward|give|tell|explain|expliquer|detailler|confirm|know|receive|obtain|get|have)\b[^?]{0,120}\b(dic|kid|kiid|priips|prospectus|reglement|factsheets?|fact sheets?|fiches?|reporting|inventaire|composition|sfdr|isin|cut-?off|heure limite|centralisation|fiscalit\w*|attestation|certificat|due diligence|questionnaire|documentation|brochure|plaquette|note d'information|statuts|rapports?|reports?|emt|eet|ept|valeurs? liquidatives?|\bvl\b|performances?|historique|releves?|documents?|details|liste|list|calendrier|politiques?|policies|policy|modalites|procedure|delai|frequence|countries|pays|share class\w*|classes? de parts|\bnav\b|holdings|portefeuille|portfolio|repartition|breakdown|notation|ratings?|esg|isr|dividendes?|valorisation|estimation|situation|montant|solde|encours|positions?|fonctionnement|conditions|valeur|date|code|numero|copie|copy|statement|confirmation)",
    ),
    (
        InformationRequest,
        "info_question",
        0.75,
        false,
        false,
        r"\?",
    ),
    (
        InformationRequest,
        "info_question_doc",
        2.0,
        false,
        false,
        r"(\?|^(quel|quelle|quels|quelles|comment|pourquoi|quand|est-ce|what|which|how|when|where|is|are|does|do|can|could)\b)[^!]*\b(dic|kid|kiid|priips|prospectus|reglement|factsheet|reporting|sfdr|isin|esg|isr|classification|article [89]|label|valeur liquidative|\bvl\b|\bnav\b|performance|rendement|dividende|distribution|coupon date|delai|frequence|fiscalit\w*|imposition|tax|eligib\w*|pea|assurance-vie|registered|enregistre|commercialis\w*|souscription minimum|cut-?off|centralisation|liquidite|liquidity|duree de placement|horizon|risque|risk|srri|sri|benchmark|indice de reference|composition|allocation|exposition|exposure|rapport annuel|annual report|rapport|report|dividend\w*|document\w*)",
    ),
    (
        InformationRequest,
        "info_how_works",
        2.0,
        true,
        false,
        r"comment (fonctionne|se passe|se deroule|marche|calculez|est calcule)|how (does|do|is|are) [^?]{0,60}(work|calculated|handled|taxed)|fonctionnement (du|de la|des)|quel(le)?s? (sont|est) (le|la|les) (delai|modalites|conditions|regles|frequence|date|procedure)",
    ),
    (
        InformationRequest,
        "info_where",
        2.0,
        false,
        false,
        r"(ou|where) (puis-je|peut-on|pourrais-je|can i|do i|could i|may i) (le |la |les |en )?(telecharger|trouver|consulter|obtenir|download|find|obtain|get|access)|je n'arrive pas a (trouver|telecharger|obtenir)|i (can't|cannot|could not|couldn't) find",
    ),
    (
        InformationRequest,
        "info_send_verb",
        1.5,
        true,
        false,
        r"(envoyer|transmettre|adresser|communiquer|faire parvenir|send|share|forward)\b",
    ),
    (
        InformationRequest,
        "info_doc_noun",
        0.5,
        false,
        false,
        r"\b(dic|kid|kiid|priips|prospectus|reglement|factsheet|reporting|inventaire|sfdr|isin|attestation|certificat|due diligence|questionnaire|documentation|brochure|plaquette|emt|eet|valeur liquidative)\b",
    ),
    // ---- interested: positive reply, agreement to go ahead
    (
        Interested,
        "interested_word",
        2.0,
        false,
        true,
        r"(m'|nous |me |vous )interesse(nt)?\b|\b(je suis|nous sommes|suis|sommes) (tres |vraiment |particulierement |fortement )?(interesse|interessee|interesses|interessees)\b|(tres|vraiment|particulierement|fort) interessant|interested in|very interested|keen to|eager to|sounds (very )?(interesting|good|great)|looks (very )?(interesting|relevant|good|great|promising)",
    ),
    (
        Interested,
        "interested_go",
        2.0,
        false,
        true,
        r"\b(partant|partants|partante|partantes)\b|on y va|go ahead|let's go|let's do it|move forward|aller plus loin|poursuivre (avec vous|la discussion|nos echanges|l'aventure)|count (us|me) in|we're in|sign me up|ravi(e|s|es)? de (demarrer|commencer|travailler|collaborer|debuter)|c'est d'accord|d'accord pour|\bok pour\b|accord de principe|je (vous )?confirme (notre|mon) (accord|interet|souscription|investissement|participation)|(a|avons|ont) valide (le|votre|notre) (referencement|dossier|partenariat)|approved (the|your)|pret(e|s|es)? a (signer|investir|souscrire|y consacrer|avancer|demarrer)|ready to (sign|invest|proceed|go|start)|exactement (le type|ce que)|(me|nous) plait|we('d| would) (love|be happy) to|happy to proceed|je signe|nous signons|vous pouvez lancer|(souhait\w*|voulons|voudrions|aimerions|decide) (de )?(avancer|souscrire|investir|aller de l'avant|donner suite|referencer|ajouter)|avancer sur (la|le|ce|cette)|proceed with|(would like|want|decided) to (go ahead|invest|subscribe|proceed|add the fund|move ahead)|bulletin de souscription|subscription form|l'idee (me|nous) (plait|seduit|interesse)|(me|nous) (seduit|convainc|convient parfaitement)|on est partants?|allons-y|(validons|avons valide|a valide|approuvons|avons approuve|acceptons|avons accepte|confirmons|retenons|avons retenu)[^?!]{0,20}(le |la |votre |notre |l')?(referencement|proposition|offre|dossier|partenariat|investissement|souscription|fonds)|(we|the committee|committee) (approved|accepted|validated|selected)",
    ),
    // ---- not_interested: decline or put on hold
    (
        NotInterested,
        "not_interested_word",
        2.0,
        false,
        false,
        r"(ne|n') ?(m'|nous |me )?interesse(nt)? (pas|plus|guere)|pas (du tout |vraiment )?(interesse|interessee|interesses|interessant)|not interested|no longer interested|not of interest",
    ),
    (
        NotInterested,
        "not_interested_decline",
        2.0,
        false,
        false,
        r"pas (pour nous|pour moi|d'actualite|une priorite|le moment|cette annee|pour le moment)|not (a fit|a good fit|a priority|for us|the right time|right now|at this time|at the moment|for now)|ne (pas|plus) (donner suite|y donner suite|poursuivre|retenir)|(ne|n') ?(allons|vais|souhaitons|souhaite|pouvons|pourrons|pourrai|pourrons) (donc |malheureusement )?(pas|plus) (donner suite|y donner suite|poursuivre|investir|retenir|participer|etre present|assister|souscrire|aller plus loin|venir)|(pas|plus) (donner|y donner) suite|\bdecliner\b|\bdecline\b|we('ll| will) pass|pass on (this|it)|n'avons pas retenu|n'a pas ete retenu|ne pas retenir|not (been )?selected|(avons|ai|a|ont) (\w+ ){0,2}(choisi|retenu|opte pour|selectionne|privilegie) (un autre|une autre|d'autres|un concurrent|la concurrence|une offre concurrente)|chosen (another|a different)|(deja|already) (tres |bien |tres bien )?(equipe|equipes|equipee|servi|servis|couvert|couverts|engage|engages)|already (have|work with|use|invested|covered)|deja (une solution|un (conseiller|gestionnaire|partenaire))|ne correspond\w* pas (a|au|aux) (mon|notre|nos|mes|ma) (profil|mandat|besoin|besoins|strategie|attentes|criteres|politique|allocation)|does not (fit|match|suit) (our|my)|doesn't (fit|suit) (our|my)|outside (of )?(our|the) (current )?(mandate|scope|remit|criteria)|hors (de notre|du) (mandat|perimetre|cadre)|gel\w* [^?!]{0,30}(referencement|investissement)|(recontactez|revenez vers|rappelez)[- ](moi|nous) (au|en|a la|l'an|dans|plus tard|l'annee)|get back to (me|us) (in|next)|(budget|enveloppe)[^?!]{0,50}(deja )?(entierement |totalement )?(alloue|consomme|epuise)|(bucket|allocation|budget) is (full|exhausted|allocated)|gestion (en interne|interne)|(garder|conserver|maintenir|keep|manage)[^?!]{0,50}(en interne|in-house|internally)|\bin-house\b|ne (pourrai|pourrons|pourra|peux|pouvons|serai|serons) (\w+ ){0,2}pas (etre present|present|participer|assister|venir|me joindre|nous joindre|disponible)|(don't|do not|won't|will not|cannot|can't) (\w+ ){0,3}(invest|allocate|proceed|consider|take this|add)\b[^?!]{0,60}(at the moment|right now|for now|this year|currently|at present)|unable to attend|won't be able to (attend|join|make it)|regrett\w* de ne pas pouvoir|must decline|\bno need\b|pas besoin|aucun besoin|prefer\w* (rester|garder|conserver|stick|keep)|ne souhaitons pas|ne souhaite pas (investir|donner suite|poursuivre|aller plus loin)|we are not (looking|in a position)",
    ),
    (
        NotInterested,
        "not_interested_polite_but",
        1.0,
        false,
        false,
        r"merci (beaucoup |bien )?(pour|de) (votre|cette|ta|vos) (proposition|offre|message|mail|relance|presentation|retour)[^?!]{0,40}\bmais\b|thank(s| you)[^?!]{0,40}\bbut\b|malheureusement|unfortunately|\bregret\b|pour l'instant|for the time being|maybe next year|peut-etre l'annee prochaine|plus tard dans l'annee|later in the year|pas pour l'instant|not for the moment",
    ),
    (
        NotInterested,
        "not_interested_already",
        1.0,
        false,
        false,
        r"deja (propose|trouve|choisi|souscrit|investi|signe|opte|retenu)|(une |un )?(solution|offre|produit|fonds|prestataire) (equivalente?|similaire|comparable)|already (found|chosen|signed|invested|have a solution)",
    ),
];

pub static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    SPECS
        .iter()
        .map(|&(label, name, weight, ctx, positive_only, pat)| Rule {
            label,
            name,
            weight,
            ctx,
            positive_only,
            re: re(pat),
        })
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_rules_compile() {
        assert!(RULES.len() > 30);
    }

    #[test]
    fn request_context() {
        assert!(REQUEST.is_match("pourriez-vous m'envoyer le dic ?"));
        assert!(REQUEST.is_match("could you send the factsheet"));
        assert!(!REQUEST.is_match("j'ai un rendez-vous client jeudi."));
    }
}
