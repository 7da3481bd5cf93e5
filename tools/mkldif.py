#!/usr/bin/python3
"""Make the lab directory's fixture LDIF (issue 7): a deterministic set of
people for slapadd, written to stdout.

usage: mkldif.py --suffix DN --domain DOMAIN --count N [--seed S]
                 [--mailbox UID]... [--user UID|GIVEN|SN|HASH]...
                 [--locked UID]... [--service CN|HASH]...

The output holds the suffix entry, ou=people, ou=services, ou=policies with
a default password policy (ppolicy, no lockout by failures), and exactly
COUNT inetOrgPerson entries under ou=people: first the fixed ones (the lab's
Maildir users, --user accounts, the names tests look for), then generated
ones until COUNT is reached. The same arguments always give the same bytes
(except the password hashes, which the caller passes in), so tests may
derive their expectations from this file.

Every person has cn, sn, givenName, displayName, mail and uid; the DN is
uid=UID,ou=people,SUFFIX. About one in five generated names is Cyrillic and
one in five accented Latin (UTF-8 in cn/sn/givenName/displayName; mail and
uid are ASCII, transliterated). --user adds userPassword (an {SSHA} hash made
by slappasswd), --locked marks that user locked for good (ppolicy's
pwdAccountLockedTime 000001010000Z: a right password is refused with 49),
--service adds cn=CN,ou=services with a password (a bind-only account).
Python standard library only.
"""
import argparse
import base64
import random
import sys
import unicodedata

GIVEN_ASCII = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael",
               "Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan",
               "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Daniel",
               "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra", "Paul",
               "Ashley", "Steven", "Emily", "Andrew", "Donna", "Kenneth", "Michelle",
               "Joshua", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George",
               "Deborah", "Edward", "Stephanie", "Ann", "Anna", "Annette", "Andrea"]
SURNAME_ASCII = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
                 "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson",
                 "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
                 "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
                 "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
                 "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker", "Collins",
                 "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan"]
GIVEN_ACCENTED = ["José", "François", "Zoë", "Björn", "Søren", "Łukasz", "Jürgen",
                  "Renée", "Inés", "Ángel", "Chloé", "Hélène", "Jörg", "Åsa", "Ottó",
                  "Mónica", "Noémie", "Raúl", "Çağla", "Žofia"]
SURNAME_ACCENTED = ["Müller", "García", "Núñez", "Dvořák", "Lefèvre", "Schröder",
                    "Łukasiewicz", "Gonçalves", "Sánchez", "Åkesson", "Östlund",
                    "Jiménez", "Brontë", "Kovačević", "Pérez", "Böhm", "Fernández",
                    "Ødegård", "Šimek", "Göktürk"]
GIVEN_CYRILLIC = ["Анна", "Мария", "Елена", "Ольга", "Татьяна", "Наталья", "Ирина",
                  "Светлана", "Иван", "Алексей", "Дмитрий", "Сергей", "Андрей", "Михаил",
                  "Николай", "Павел", "Юлия", "Екатерина", "Владимир", "Борис"]
SURNAME_CYRILLIC = ["Петров", "Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов",
                    "Лебедев", "Козлов", "Новиков", "Морозов", "Волков", "Соловьёв",
                    "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов",
                    "Богданов", "Фёдоров"]
# Russian feminine surnames end in -a: Петров -> Петрова for these names.
FEMININE_CYRILLIC = {"Анна", "Мария", "Елена", "Ольга", "Татьяна", "Наталья", "Ирина",
                     "Светлана", "Юлия", "Екатерина"}

CYRILLIC_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}
# Letters NFKD does not take apart.
LATIN_EXTRA = {"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"}

# The mailbox users of sim/lab (LAB_MAILBOXES) get these names.
MAILBOX_NAMES = {"alice": ("Alice", "Archer"), "bob": ("Bob", "Brennan"),
                 "carol": ("Carol", "Castillo"), "dave": ("Dave", "Dunmore"),
                 "erin": ("Erin", "Eastwood"), "frank": ("Frank", "Fairbanks")}

# Fixed people tests look for, with their own addresses: UTF-8 names, and
# names holding the filter's special characters (RFC 4515 escaping tests).
FIXED_PEOPLE = [
    ("anna.petrova", "Анна", "Петрова"),
    ("jose.muller", "José", "Müller"),
    ("zoe.lefevre", "Zoë", "Lefèvre"),
    ("star.person", "Star*", "Person"),
    ("paren.team", "Paren", "(Sales) Team"),
    ("back.slash", "Back\\Slash", "Tester"),
]


def ascii_fold(text):
    """Lower-case ASCII for mail and uid: Cyrillic transliterated, accents off."""
    out = []
    for ch in text.lower():
        if ch in CYRILLIC_LATIN:
            out.append(CYRILLIC_LATIN[ch])
        elif ch in LATIN_EXTRA:
            out.append(LATIN_EXTRA[ch])
        else:
            for c in unicodedata.normalize("NFKD", ch):
                if c.isascii() and (c.isalnum() or c in "-"):
                    out.append(c)
    return "".join(out)


def value(attr, text):
    """One LDIF line: base64 (attr::) when the value is not safe ASCII (RFC 2849)."""
    safe = (text.isascii() and text == text.strip() and not text.startswith((":", "<"))
            and all(32 <= ord(c) < 127 for c in text))
    if safe:
        return "%s: %s" % (attr, text)
    return "%s:: %s" % (attr, base64.b64encode(text.encode("utf-8")).decode("ascii"))


def person(suffix, domain, uid, given, sn, password=None, locked=False):
    cn = "%s %s" % (given, sn)
    lines = ["dn: uid=%s,ou=people,%s" % (uid, suffix),
             "objectClass: inetOrgPerson",
             value("cn", cn), value("sn", sn), value("givenName", given),
             value("displayName", cn), "mail: %s@%s" % (uid, domain), "uid: %s" % uid]
    if password:
        lines.append("userPassword: %s" % password)
    if locked:
        # ppolicy: this value locks the account until an administrator unlocks it.
        lines.append("pwdAccountLockedTime: 000001010000Z")
    return "\n".join(lines) + "\n"


def generated(rng):
    """One random (given, sn) pair: a fifth Cyrillic, a fifth accented Latin."""
    pick = rng.random()
    if pick < 0.2:
        given = rng.choice(GIVEN_CYRILLIC)
        sn = rng.choice(SURNAME_CYRILLIC)
        if given in FEMININE_CYRILLIC:
            sn += "а"
        return given, sn
    if pick < 0.4:
        return rng.choice(GIVEN_ACCENTED), rng.choice(SURNAME_ACCENTED)
    return rng.choice(GIVEN_ASCII), rng.choice(SURNAME_ASCII)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suffix", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--count", type=int, required=True, help="people under ou=people")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--mailbox", action="append", default=[], help="a LAB_MAILBOXES uid")
    ap.add_argument("--user", action="append", default=[], help="UID|GIVEN|SN|HASH")
    ap.add_argument("--locked", action="append", default=[], help="UID of a --user")
    ap.add_argument("--service", action="append", default=[], help="CN|HASH")
    args = ap.parse_args()

    out = sys.stdout
    dc = args.suffix.split(",")[0].split("=", 1)[1]
    out.write("dn: %s\nobjectClass: dcObject\nobjectClass: organization\n"
              "o: MFP lab\ndc: %s\n\n" % (args.suffix, dc))
    for ou in ("people", "services", "policies"):
        out.write("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n"
                  % (ou, args.suffix, ou))
    # The default password policy: checks pwdAccountLockedTime, never locks
    # by itself (pwdMaxFailure 0), so a wrong-password test cannot lock a
    # shared account.
    out.write("dn: cn=default,ou=policies,%s\nobjectClass: organizationalRole\n"
              "objectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\n"
              "pwdLockout: TRUE\npwdMaxFailure: 0\n\n" % args.suffix)
    for spec in args.service:
        cn, pw = spec.split("|", 1)
        out.write("dn: cn=%s,ou=services,%s\nobjectClass: organizationalRole\n"
                  "objectClass: simpleSecurityObject\ncn: %s\n"
                  "description: lab service account: bind and search only\n"
                  "userPassword: %s\n\n" % (cn, args.suffix, cn, pw))

    people = []
    for uid in args.mailbox:
        given, sn = MAILBOX_NAMES.get(uid, (uid.capitalize(), "Mailbox"))
        people.append(person(args.suffix, args.domain, uid, given, sn))
    for spec in args.user:
        uid, given, sn, pw = spec.split("|", 3)
        people.append(person(args.suffix, args.domain, uid, given, sn, pw,
                             uid in args.locked))
    for uid, given, sn in FIXED_PEOPLE:
        people.append(person(args.suffix, args.domain, uid, given, sn))
    if len(people) > args.count:
        sys.exit("mkldif: --count %d is below the %d fixed people" % (args.count, len(people)))

    taken = set()
    for p in people:
        taken.add(p.split(",", 1)[0][len("dn: uid="):])
    rng = random.Random(args.seed)
    while len(people) < args.count:
        given, sn = generated(rng)
        base = "%s.%s" % (ascii_fold(given), ascii_fold(sn))
        uid = base
        n = 1
        while uid in taken:
            n += 1
            uid = "%s%d" % (base, n)
        taken.add(uid)
        people.append(person(args.suffix, args.domain, uid, given, sn))
    out.write("\n".join(people))


if __name__ == "__main__":
    main()
