"""Build the bundled replyscope demo thread: an illustrative Bluesky getPostThread response.

The data set is illustrative, written by hand for the replyscope demo. The root post
belongs to an invented public-sector account ("Public Services Network — illustrative
demo") asking what kind of leadership public services need; the ~590 replies are
hand-written in the voices people use on social media (nurses, council officers, social
workers, police, teachers, charity staff, residents, academics, consultants, union reps),
grounded in the themes of public discussions about public-service leadership. No real
people or posts: every handle, name, identifier and engagement count is invented.

Besides on-topic replies the thread holds what real threads hold: off-topic chatter
and jokes, spam, replies in other languages, one-word and emoji-only replies, a small
copy-paste campaign (six accounts posting the same slogan with small edits) and two exact
duplicates posted by the same account.

The output is `collectors/demo/bluesky_leadership_thread.json`, in the shape of
`app.bsky.feed.getPostThread` (thread -> post + nested replies), plus a top-level
`_replyscope_demo` note that getPostThread consumers ignore. Everything random comes from
`random.Random(20260302)`, so every run writes a byte-identical file.

Replies are written below in a small line format, one reply per line, grouped by theme:

    <indent><who> [flags] | <text>

- indent: two spaces per level; a line is a reply to the nearest line above it that is
  indented one level less (top-level lines reply to the root post).
- who: a role pool (`nurse`, `council`, `cit`, ...: an author is drawn from that pool),
  `@handle` (a fixed account, `.bsky.social` implied), `^` (the parent's author: a
  self-thread) or `^^` (the grandparent's author: someone answering back).
- flags: `L=<n>` like count; `lang=<code>[+<code>]`; `t=<hours after the root post>`;
  `dt=<minutes after the parent>`; `oplike` (the root account liked it).
- text: `\\n` is a newline; `{parent}` is the parent author's handle; https:// links are
  shortened for display the way the Bluesky app does, with a link facet.

Run: `python demo/build_demo.py` (prints a summary; `--out PATH` writes elsewhere).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SEED = 20260302
ROOT_TIME = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
WINDOW = timedelta(days=6)
OUT = (
    Path(__file__).resolve().parent.parent
    / "collectors"
    / "demo"
    / "bluesky_leadership_thread.json"
)

ROOT_HANDLE = "publicservicesnet.bsky.social"
ROOT_NAME = "Public Services Network — illustrative demo"
ROOT_TEXT = (
    "What kind of leadership do our public services need? Tell us in the replies 👇 "
    "#PublicServices #Leadership"
)
DEMO_NOTE = {
    "note": "Illustrative data written for the replyscope demo. Not real posts or people.",
    "generator": "demo/build_demo.py",
}

# --------------------------------------------------------------------------------------
# Accounts. "handle|Display Name"; `.bsky.social` is appended. Accounts named with
# `@handle` in the replies are fixed characters; the others are drawn at random for
# replies written for a role pool.
# --------------------------------------------------------------------------------------

POOLS: dict[str, list[str]] = {
    "nurse": [
        "nurse_jo|Jo 🩺",
        "kaitlyn-rn|Kaitlyn RN",
        "ayo-nurses|Ayo",
        "nightshiftnat|Nat 🌙",
        "charge-nurse-olu|Olu",
        "hollyanne-nhs|Holly-Anne",
        "lisa-icu|Lisa 💙",
        "hca-debbie|Debbie",
        "staffnurse-ellie|Ellie",
        "bandfive-becca|Becca",
        "rn-marta|Marta",
        "wardnurse-gem|Gem",
        "nurse-kofi|Kofi",
        "sian-rgn|Siân RGN",
        "amy-on-acute|Amy",
        "tired-rn-liv|Liv",
        "student-nurse-abi|Abi (student nurse)",
        "nurse-danny-b|Danny B",
        "paeds-nurse-cat|Cat 🧸",
        "renal-nurse-joy|Joy",
        "acute-med-mel|Mel",
        "nursetash-rmn|Tash RMN",
    ],
    "nhs": [
        "hca-bradley|Bradley",
        "gp-partner-ed|Ed (GP partner)",
        "ops-manager-suz|Suz",
        "mikethemedic|Mike 🚑",
        "dr-hannah-gp|Dr Hannah (GP)",
        "midwife-sal|Sal | midwife",
        "theatresteve|Steve in theatres",
        "priya-ed-reg|Priya (ED reg)",
        "ot-rachel|Rachel OT",
        "physio-dan|Dan the physio",
        "mentalhealthmo|Mo | MH nurse",
        "district-nurse-bev|Bev",
        "tomlinsonfy2|Tom (FY2)",
        "amina-pharm|Amina 💊",
        "paramedicpete|Pete",
        "grumpyregistrar|grumpy registrar",
        "sister-maureen|Maureen (retired sister)",
        "callum-acp|Callum ACP",
        "bernie-porter|Bernie",
        "rosie-hv|Rosie, health visitor",
        "salt-naomi|Naomi (SLT)",
        "gp-receptionist-jan|Jan",
        "radiographer-ravi|Ravi",
        "nhs-admin-kelly|Kelly (NHS admin)",
        "anaes-jx|J (anaesthetist)",
        "dr-ollie-psych|Ollie (psych)",
        "band7-shaz|Shaz",
        "hcsw-marie-t|Marie T",
    ],
    "council": [
        "lgofficer-sue|Sue",
        "housingjames|James | housing",
        "planning-pav|Pav",
        "revsandbens|Lou (revs & bens)",
        "localgovlaura|Laura 🏛️",
        "ben-policy-officer|Ben",
        "commissioning-claire|Claire",
        "wastemgmt-gaz|Gaz",
        "fiona-asc-lead|Fiona (ASC)",
        "parks-ollie|Ollie 🌳",
        "libraries-meg|Meg 📚",
        "neighbourhoods-nia|Nia",
        "data-dave|Data Dave",
        "comms-hattie|Hattie | comms",
        "tradingstandardstom|Tom (trading standards)",
        "ec-officer-raj|Raj",
        "localgovgeek|LocalGovGeek",
        "project-manager-priti|Priti",
        "lesleyinlocalgov|Lesley",
        "council-hr-mandy|Mandy",
        "highways-hugh|Hugh",
        "cs-advisor-tayo|Tayo",
        "envhealth-erin|Erin",
        "finance-bp-nick|Nick (finance BP)",
        "localgov-rants|localgov rants",
        "bids-and-grants-kat|Kat",
    ],
    "sw": [
        "sw-tom-adults|Tom",
        "cp-sw-lena|Lena",
        "sw-manager-jules|Jules",
        "sw-anna|Anna, social worker",
        "kids-sw-marcus|Marcus",
        "swkerry|Kerry",
        "amhp-jen|Jen (AMHP)",
        "tiredsocialworker|tired social worker",
        "practice-educator-ros|Ros",
        "sw-student-ellie|Ellie (SW student)",
        "ftw-kwame|Kwame",
        "adultsw-gill|Gill",
        "leaving-care-lee|Lee",
        "teammanager-nic|Nic (team manager)",
        "iro-sophie|Sophie",
        "cp-sw-dom|Dom",
        "sw-hannah-k|Hannah K",
        "nqsw-jade|Jade (NQSW)",
        "locum-sw-tunde|Tunde",
        "early-help-eve|Eve (early help)",
    ],
    "police": [
        "pc-amira|Amira",
        "sgt-nick-np|Nick (NP sgt)",
        "pc-gary-n|Gary",
        "pc-dawson|PC Dawson (personal account)",
        "sgt-rob|Rob (views my own)",
        "ex-dci-carol|Carol, ex-DCI",
        "pcso-becky|Becky",
        "neighbourhood-sgt-hamza|Hamza",
        "responsecop|response cop",
        "retired-inspector-phil|Phil",
        "police-staff-jas|Jas",
        "cop-on-nights|nights again",
        "det-con-lauren|Lauren",
        "pc-mattyd|Matty D",
        "control-room-kaz|Kaz (control room)",
    ],
    "fire": [
        "firefighter-fran|Fran 🚒",
        "watchmanager-dev|Dev",
        "station-manager-kath|Kath",
        "retained-ash|Ash (on-call FF)",
    ],
    "teacher": [
        "mrs-okafor-teaches|Mrs O",
        "mrbradleyhistory|Mr Bradley",
        "headteacher-hel|Helen, head",
        "senco-sara|Sara (SENCo)",
        "teachertom|Tom 🍎",
        "ks2-kirsty|Kirsty",
        "fe-lecturer-andy|Andy (FE)",
        "deputyhead-dee|Dee",
        "ect-jamie|Jamie (ECT)",
        "scienceteacherfaz|Faz",
        "ta-linda|Linda (TA)",
        "exteacher-ruth|Ruth",
        "primaryteach-ali|Ali",
        "msmaths-vee|Ms V",
        "eyfs-emily|Emily (EYFS)",
        "geog-teacher-rhod|Rhodri",
        "music-mr-k|Mr K 🎺",
    ],
    "charity": [
        "foodbank-vol-geoff|Geoff",
        "charity-worker-amara|Amara",
        "foodbank-fi|Fi @ the food bank",
        "vcs-connector-sam|Sam",
        "charity-ceo-marie|Marie (small charity CEO)",
        "youthwork-jay|Jay 🏀",
        "homelessness-outreach-kim|Kim",
        "cvs-director-ade|Ade",
        "volunteer-ken|Ken",
        "mutualaid-maya|Maya",
        "carers-centre-pat|Pat",
        "da-worker-zara|Zara",
        "communitychef-luis|Luis",
        "trustee-margaret|Margaret",
        "social-prescriber-tash|Tash",
        "dev-trust-owen|Owen",
        "refugee-support-yusuf|Yusuf",
        "grants-officer-becs|Becs",
        "advice-worker-col|Col (advice worker)",
        "hospice-harriet|Harriet",
        "recovery-cafe-pj|PJ",
        "vcs-rach|Rach",
    ],
    "cit": [
        "mum-of-three-leeds|Sam (mum of 3)",
        "grumpyoldtaxpayer|Grumpy Old Taxpayer",
        "carer-for-dad|Ange",
        "danny-from-hull|Danny",
        "bookish-bea|Bea 📖",
        "northernsoul-norma|Norma",
        "wheelie-will|Will ♿",
        "localresident-gordon|Gordon",
        "sendparent-jo|Jo (SEND parent)",
        "brummie-baz|Baz",
        "estate-rep-deb|Deb",
        "retired-engineer-alan|Alan",
        "cardiff-cath|Cath",
        "glasgow-gav|Gav",
        "patient-voice-anne|Anne",
        "allotment-stan|Stan 🥕",
        "dinnerlady-eva|Eva",
    ],
    "acad": [
        "prof-kwesi-m|Prof. Kwesi M",
        "dr-helen-policylab|Dr Helen W",
        "lecturer-nat-sp|Nat (social policy)",
        "govstudies-ruairi|Ruairí",
        "dr-jas-healthpolicy|Dr Jas",
        "researcher-imogen|Imogen (researcher)",
        "emeritus-bill|Bill (emeritus, still opinionated)",
        "prof-publicadmin|Prof. Alison R",
        "dr-kemi-policy|Dr Kemi A",
        "phdsurvival-josh|Josh (PhD, public mgmt)",
        "leadershipscholar|Dr M. Farrell",
        "pubpol-lecturer-ian|Ian",
        "complexity-carla|Carla | complexity & policy",
        "dr-nadia-hsr|Dr Nadia",
        "socialpolicy-sean|Sean",
        "dr-lowri-govt|Dr Lowri",
    ],
    "consult": [
        "leancoach-lee|Lee – lean coach",
        "designer-farah|Farah | service design",
        "policy-consultant-ed|Ed",
        "associate-ruth-p|Ruth P",
        "jon-views-own|Jon (views own)",
        "coachkate|Kate | coaching & OD",
        "systemsthinking-steph|Steph | systems thinking",
        "coach-gareth|Gareth – leadership coach",
        "changeagent-chris|Chris",
        "transformation-tina|Tina",
        "interim-director-rich|Rich (interim)",
        "od-practitioner-bella|Bella | OD",
        "ex-big4-sunil|Sunil",
        "facilitator-fern|Fern",
    ],
    "union": [
        "union-rep-karen|Karen (union rep)",
        "steward-tony|Tony (shop steward)",
        "branchsec-alan|Alan, branch secretary",
        "edu-union-fatima|Fatima",
        "shopsteward-sandra|Sandra",
        "union-dave|Dave ✊",
    ],
    "exec": [
        "ha-chiefexec-tim|Tim (HA chief exec)",
        "dph-anne-marie|Anne-Marie",
        "chief-officer-raza|Raza",
        "ops-director-jen|Jen (ops director)",
        "strategic-director-ola|Ola",
        "ceo-brenda-k|Brenda K",
        "director-caroline|Caroline (DCS, views own)",
        "nhs-ceo-mark|Mark (trust CEO, personal)",
        "chiefexec-anjali|Anjali",
        "dph-matt|Matt, DPH",
        "deputy-ceo-liz|Liz",
        "icb-director-paul|Paul (ICB)",
        "head-of-service-nikki|Nikki",
        "ops-director-greg|Greg",
        "chiefnurse-yvonne|Yvonne",
        "assistant-director-kev|Kev",
        "ex-chiefexec-martin|Martin (retired CX)",
        "hr-director-joanna|Joanna",
        "service-director-femi|Femi",
    ],
    "cllr": [
        "cllr-amir|Cllr Amir",
        "cllr-jane-ward|Jane (Cllr)",
        "cllr-gethin|Cllr Gethin",
        "parishcllr-roy|Roy (parish cllr)",
        "cllr-siobhan|Siobhán",
        "cllr-bola|Cllr Bola",
    ],
    "civ": [
        "policy-advisor-amar|Amar",
        "decisionmaker-jo|Jo",
        "civvy-steph|Steph",
        "ops-manager-fiona-cs|Fiona",
        "civilservant-ceri|Ceri",
        "whitehall-wonk|whitehall wonk",
        "heo-harry|Harry",
        "fast-streamer-zoe|Zoe",
        "work-coach-mel|Mel (work coach)",
        "scotgov-iain|Iain",
        "tax-office-hayley|Hayley",
        "eo-eddie|Eddie",
        "g7-georgia|Georgia",
    ],
    "care": [
        "carer-nights-maz|Maz",
        "support-worker-tilly|Tilly",
        "care-coord-ben|Ben (care coordinator)",
        "homecare-grace|Grace (home carer)",
        "carehome-manager-tess|Tess",
        "support-worker-leon|Leon",
        "dom-care-donna|Donna",
        "shared-lives-sian|Siân (Shared Lives)",
        "care-worker-precious|Precious",
    ],
    "spam": [
        "growthhacks-mia|Mia 💸",
        "crypto-king-4421|Crypto King 👑",
        "airdrop-alerts-uk|Airdrop Alerts",
        "rose-sweet-98|Rose 🌹",
        "promo-blast|PromoBlast",
        "wfh-wins-kayla|Kayla | WFH mum",
        "btc-signals-pro|BTC Signals PRO",
        "mindset-millionaire-jj|JJ | Mindset Coach 💎",
        "nft-drops-daily|NFT Drops",
        "followback-frenzy|follow back 🙏",
        "essay-help-24|Essay Help 24/7",
        "fund-recovery-expert|Fund Recovery 🔐",
        "uk-freebies-daily|UK Freebies 🎁",
        "collab-with-ava|Ava ✨",
        "debt-help-uk|Debt Help UK",
    ],
    "intl": [
        "agent-public-marc|Marc",
        "fonctionnaire-claire|Claire F.",
        "aurelie-infirmiere|Aurélie",
        "hywel-cymru|Hywel",
        "elin-caerdydd|Elin",
        "nia-ynmon|Nia Môn",
        "jordi-bcn|Jordi",
        "ana-valencia|Ana 🌞",
        "lucia-gestion-publica|Lucía",
        "verwaltung-jonas|Jonas",
        "sabine-k|Sabine K.",
        "tomek-leeds|Tomek",
        "uzma-bradford|Uzma",
        "aoife-galway|Aoife",
        "bruna-sp|Bruna",
        "giulia-pa|Giulia",
        "femke-utrecht|Femke",
        "maite-bilbao|Maite",
        "asia-opiekunka|Asia",
        "omar-mcr|Omar",
        "ottawa-kim|Kim in Ottawa 🍁",
    ],
    "camp": [
        "fairpay-now-sam|Sam",
        "kelly-payup|Kelly",
        "pauldfairpay|Paul D",
        "nina-frontline|Nina",
        "rich-s-voice|Rich S",
        "fairdeal-dani|Dani",
    ],
}

# Pools that random picks for one role also draw from (citizens are mostly "anyone").
POOL_EXTRA: dict[str, tuple[str, ...]] = {"cit": ("gen",)}

FIRST = (
    "aisha ben chloe dev emma farhan george hollie imran jess kieran leah marcus nadia owen "
    "poppy qasim rhys tariq una vikram wendy xander yasmin zach abbie bilal cerys declan "
    "efua finn grace harvey isla jake kezia liam mo niamh oli rory saoirse uzma vicky will "
    "yusra zoe alfie bethan connor daisy ellis fatima gemma hamish ifeoma jordan kat lewis "
    "maisie nathan orla patrick ruby sanjay tilly wes ana bartek ciaran dominika eilidh femi "
    "gurpreet hannah ioan joanne kamal lucy mariam neil oksana paddy rachael sunita thea ugo"
).split()
SURNAMES = (
    "ahmed baker clarke davies evans fox green hughes iqbal jones khan lewis morgan nowak "
    "obi patel quinn roberts singh taylor usman walsh young begum campbell doyle ellis fraser "
    "grant hall islam jenkins kowalski lloyd mensah nolan okoro price reid shah thomas wood"
).split()
HOBBIES = "runs reads bakes knits gardens walks cycles paints swims sings climbs".split()
NAME_EMOJI = ("🌻", "✨", "🌿", "🏳️‍🌈", "🐝", "☕", "🌊", "📚", "🎧", "🧶", "⚽", "🏴󠁧󠁢󠁷󠁬󠁳󠁿")
PRONOUNS = ("they/them", "any pronouns")
GEN_POOL_SIZE = 50


# --------------------------------------------------------------------------------------
# The replies, grouped by theme. See the module docstring for the line format.
# --------------------------------------------------------------------------------------
COMMAND_AND_CONTROL = r"""
@nurse_jo L=412 t=0.35 oplike | Leaders who have actually done the job. Recently. Not 20 years ago. Come and do a night shift on an acute medical ward with us and then talk to me about "flow" #NHS
  nurse | this. every single word
  @nhs-ceo-mark L=9 | With respect, plenty of us do shadow shifts. The hard part is making sure it isn't a photo op and something actually changes afterwards.
    ^^ L=44 | then make something change afterwards? that's literally the job 🙃
      ^^ L=30 | Fair. I walked into that one.
        ^^ L=28 | genuinely appreciate you coming back on that. offer stands, any night you like. bring biscuits for the HCAs
council L=10 | Fewer targets, more judgement. We measure what's easy to count and then act surprised when the things that matter get worse.
@pubpol-lecturer-ian L=32 | Goodhart's law should be printed on the inside of every permanent secretary's eyelids https://en.wikipedia.org/wiki/Goodhart%27s_law
@sgt-rob L=36 | 17 years in. Every new chief brings a new vision, a new logo and a new set of performance indicators. The job on the street hasn't changed. The paperwork has tripled.
@tiredsocialworker L=156 oplike | Honestly? I spend about 80% of my week on forms and maybe 20% with families. The leadership we need is the kind that fights to flip that ratio. Nothing else matters as much. #socialwork
  gen | this
  @dr-kemi-policy L=20 | There's research from years ago finding almost exactly that split for family workers. It hasn't shifted since. That's a choice someone made, not a law of nature.
    ^^ | @{parent} do you have a link? I want to wave it at our AD
      ^^ | Will dig it out and DM you 👍
teacher | "what gets measured gets managed" and what doesn't gets ignored. see: every school in england since about 2010 #EduSky
exec L=6 | Controversial maybe, but most of us in senior roles know the targets are distorting things. We keep them because the regulator keeps them. Leadership has to include pushing back upwards, not just passing it down.
  union | Then push back publicly. Quietly agreeing in a thread doesn't help my members on the ground
    ^^ | That's fair. Some of us are trying. It's slower than it should be.
cit | Less middle managment more actual doctors and nurses
@systemsthinking-steph L=44 | The work tells you what needs to change if you go and look at it. Most "transformation" starts with a structure chart and a savings target. Start with demand: what do people actually need, and what do they get? Leadership is making space to do that.
police | The best inspector I ever had would say "what do you need from me" at every briefing, then actually go and get it. That's it. That's the leadership.
@retired-inspector-phil | Command and control has its place. When the building's on fire you don't want a consensus workshop. The problem is we run every Tuesday afternoon like the building's on fire.
  @firefighter-fran L=24 | as someone who literally goes into burning buildings: even on the fireground the best officers listen. command isn't the same as not listening
    ^^ | Fair challenge, and probably true. I'll take that.
council | We have a 14-stage sign off for a social media post. FOURTEEN. Leadership would be trusting the person who wrote it
gen | Stop restructuring. Every 18 months a new structure, new job titles, same people, same problems, less trust
sw | Leadership that doesn't panic every time Ofsted is mentioned would be nice. Good practice ≠ good paperwork
@grumpyregistrar L=9 | A 4hr breach is a number. A patient on a trolley for 19 hours is a person. One of those gets discussed at board and it isn't the second one
nurse | "We value you" email from the exec team, sent 20 mins before the same team cancels our protected learning time. incredible stuff
teacher | Learning walks with clipboards are not leadership. Ask us what's getting in the way and then remove it.
council | The thing nobody says out loud: a lot of bureaucracy exists to protect senior people from blame, not to protect the public
  @ex-chiefexec-martin L=7 | As a former CX I'd love to argue with this. I can't. Fear of being on the front of the local paper drove more of my decisions than I'd like to admit.
civ | Central government could lead by example by not sending 6 different funding pots each with its own bidding round, monitoring form and deadline. Just give councils the money and trust them.
gen t=4.2 | leadership is not a lanyard
police | Targets turned us from problem solvers into number chasers. Took years to undo in our area and it's creeping back.
@headteacher-hel L=26 | Heads are drowning in accountability that's about compliance not children. The best leaders I know are quietly brave: they do what's right for their kids and explain it afterwards.
@hcsw-marie-t | we have a policy for the policy on policies. not even joking its on the intranet
council | less time in meetings about meetings please
  council | we have a pre-meet for the pre-meet. i wish i was joking
@tax-office-hayley | Leadership in the civil service: please stop measuring us on call handling time. Some calls need to be long. That's the whole point.
@work-coach-mel | Let work coaches use discretion. Half my job is explaining to people why the rules mean I can't help them in the way that would actually help.
@callum-acp | Flatten the hierarchy, especially in the NHS. The best idea on my unit came from a healthcare assistant and it took 18 months to get through three committees.
council | Leadership is announcing the same initiative every 3 years with a new name. I'm on my fourth "customer first" programme.
@theatresteve | Just once I'd like a new exec to come and ask us what slows down theatre lists before launching a "productivity programme"
sw | half the forms we fill in are for the inspection, not the child. we all know it
@charge-nurse-olu | A good ward manager is worth their weight in gold. It's bad management we need less of, not managers.
consult | failure demand is the most expensive thing nobody in public services measures
@data-dave L=3 | we did a demand study in revs & bens. over half our calls were people chasing something we'd already failed to do. nobody believed the number till they listened to the calls themselves
acad | Adaptive vs technical problems. Most of what public services face is adaptive, and you can't command your way through those. https://en.wikipedia.org/wiki/Adaptive_leadership
@lgofficer-sue | The restructure IS the strategy in some places. Looks like action, costs nothing politically, changes nothing.
@cllr-amir L=22 | Spent a chunk of last year bidding against the council next door for a funding pot neither of us got. That's not leadership, that's a raffle.
council | The amount of time we spend writing reports for other people not to read. Every board paper is 40 pages because nobody trusts a 2 page one.
nhs | Honestly the leadership I want is the kind that kills one form a month. Just one. Pick a form and kill it. #NHS
police | Please stop launching new operations with catchy names. Just let us do the basics well #policing
teacher | Ofsted-proofing everything is not leadership. It's fear with a lanyard on.
gen | bureaucracy is what happens when an organisation stops trusting its own people
sw | Every serious case review says "better information sharing". Then we get another IT system that doesn't talk to the other IT systems.
civ | Ministers announce, officials implement, nobody evaluates, repeat. Leadership is breaking that loop.
@bids-and-grants-kat | I'm a bids officer. My entire job exists because funding gets handed out as a competition. Think about how mad that is.
gen | Less "strategy refresh", more "fix the thing people have been complaining about for 5 years"
council | the risk register has more governance around it than the actual risks
"""

LISTENING = r"""
cit L=221 t=0.7 oplike | Leaders who listen more than they talk. And who can tell the difference between listening and waiting for their turn to speak.
  gen | 👏👏👏
@carer-for-dad L=48 | I've been a carer for my dad for 6 years. Not once has anyone in charge asked me what would actually help. They send me a survey. A survey is not listening.
  @fiona-asc-lead L=6 | I'm so sorry. This shouldn't be your experience and I'm taking this to our team meeting tomorrow, we need to do much better on carers' voice.
    ^^ | thank you. genuinely. it's nice just to be heard for once
@nightshiftnat L=22 | Humility. The best consultant I ever worked with said "I don't know, what do you think?" to a band 5 in her first week. She never forgot it. Neither did I.
acad | Undervalued leadership traits in one workforce survey a while back: collaboration, humility, listening, empathy, integrity. Overvalued: control, charisma, power. I doubt much has changed.
exec | Spent a week last year just listening in on calls in our contact centre. Learned more than in 3 years of dashboards. Should be compulsory for every director.
cit L=34 | Stop talking AT communities. We are not a "hard to reach group". We are right here. You're the ones who are hard to reach.
@mentalhealthmo L=8 | Empathy is not soft. Try sitting with someone on the worst day of their life without it. It's the hardest skill in the job and leaders should model it with staff too.
gen | Leaders who say "I got that wrong" out loud. In public. Without a 3 page statement from comms.
council | when someone on the front line tells you something isn't working, that's not a complaint, it's free consultancy
  @ex-big4-sunil L=29 | as an ex-consultant I can confirm we mostly just went and asked the front line and wrote down what they said. then invoiced you
    gen | 💀
@rosie-hv | Listen to parents. They know their babies. So much harm could be avoided if systems were designed around that one simple idea.
teacher | I want a leader who remembers my name and asks about my kid's operation. Sounds small. isn't.
cit | Listening without acting is worse than not listening at all. We've been "listened to" for years on our estate. Nothing changes.
  @publicservicesnet L=8 | This is a really important point, and a fair warning for us too. We'll share back what we hear from this thread and what we do with it.
    ^^ | ok. holding you to that 👀
      ^^ | Please do!
@amhp-jen | Curiosity. Leaders who are curious about why things happen rather than who to blame for them.
gen | Ears first, mouth second.
@ks2-kirsty | The head who asks "how are you?" and then waits for the real answer. Had one once. Changed everything.
acad | "Listening" is in every leadership framework. What's not in them is what you do when what you hear is inconvenient. That's the real test.
police | Real listening in policing means going back to the same community meeting after you've been shouted at. And going again. And again.
@wheelie-will L=24 | As a disabled person who uses about 6 different services: leaders who ask us BEFORE designing the thing, not after it's built and doesn't work. Nothing about us without us.
@bernie-porter L=6 | As a porter I see everything in this hospital. The leaders who stop and chat to us know what's really going on. The ones who don't, don't.
@dinnerlady-eva | i am dinner lady in a school 12 years. nobody ever ask my opinion. i have many ideas for less food waste and happier kids. just ask
gen | a leader who answers the question they were asked
cit | I want public service leaders who aren't scared of the public
@patient-voice-anne | I sit on a patient panel. The difference between a good chief exec and a bad one is simple: the good one reads what we send and comes back to tell us what happened.
gen | listen to the receptionists. they know everything
  @gp-receptionist-jan | thank you!! we are the ones who get shouted at for decisions we didn't make
consult | Charisma is massively overrated in public service leadership. The loudest person in the room is rarely the wisest.
cit | "seldom heard" is just "hard to reach" with a new coat of paint. same problem
charity | "Nothing about us without us" should be on the wall of every commissioning team
gen | A leader who can say "I don't know" without it becoming a crisis
cit | My GP practice started a patient group that actually meets the GPs. Small thing. Made me feel like a person not a number.
@eyfs-emily | Listen to the youngest staff as much as the most senior. Our apprentice spotted the thing that fixed our drop-off chaos.
acad | Humility isn't weakness. In complex systems nobody has the full picture, so the leader who acts like they do is the dangerous one.
gen | empathy for staff AND for the public. too often it's one or the other
@cs-advisor-tayo | I work on the council phones. Residents tell me everything. Nobody above me has ever asked what they say. We could tell you what's wrong in a week.
nurse | listen to night staff. it's a different hospital at night with different problems, and we're never at the meetings because the meetings are at 10am
"""

TRUST_THE_FRONT_LINE = r"""
@lgofficer-sue L=183 t=0.9 oplike | Trust the people closest to the work. They know what's broken and usually how to fix it. What they don't have is permission. Good leadership is mostly giving permission and then getting out of the way. #LocalGov
  council L=4 | and backing them when it goes a bit wrong, which it sometimes will
    ^^ L=3 | 100%. Permission without cover isn't permission.
@housingjames L=37 | We rebuilt our repairs service by asking the operatives how it should work. They'd been telling managers for years. Satisfaction went way up, costs went down. No consultants, no "vision". Just listening to the people who do the job.
  cit | wish our housing association would do this. we've been waiting 9 months for a boiler part
    ^^ | Sorry to hear that. Worth going to their complaints process and then the ombudsman if it keeps dragging. 9 months isn't ok.
exec L=5 | "Heart decisions." I once gave a team permission to spend small amounts without sign-off if they thought it was the right thing for the person in front of them. Money got to people faster. Nobody abused it.
  sw | we need this so badly. I spent 2 days getting approval for a £40 fridge freezer
    sw | 2 days?? it took me 3 weeks and a panel for a bus pass
@sw-anna | Social workers aren't children who need watching. We're registered professionals. Treat us like it.
gen | Distributed leadership isn't a cost saving. If you cut the middle managers and call it empowerment, people can tell.
@mikethemedic | Let crews use their judgement. We've got a decision tree for everything now and patients aren't decision trees
teacher | Let teachers teach. Let heads lead. Let the DfE... just let us.
police | Neighbourhood officers know their patch better than any analyst. Give them time and autonomy, and stop abstracting them to cover response every other shift
@teammanager-nic L=8 | As a team manager I'm the one caught in the middle. Senior leaders want compliance, my team want autonomy. I want both for them and most weeks I get neither.
gen | leadership = making it easy for good people to do good work
council | Flip the pyramid. Senior leaders work for the front line, not the other way round.
  gen | easy to say, never seen it done tbh
    ^^ | I have, once. It was brilliant. Then the CX left and it all went back.
      @ex-chiefexec-martin L=6 | This is the bit that worries me most. Change that depends on one person isn't change, it's a personality.
acad | There's a big literature on distributed leadership and it keeps saying the same thing: it only works if people get real authority, not just more responsibility.
@ot-rachel L=10 | Leadership at all levels. I'm a band 6 OT and I lead every single day. Stop acting like leadership starts at band 8
@dom-care-donna L=7 | Home carers get 15 minute visits and no say in anything. We see people every day. We know when something's wrong before any doctor does. Ask us.
@pcso-becky | PCSOs are often the only face of policing people see locally. Value us. Ask us. Stop cutting us first.
nurse | we need ward managers with admin support so they can actually lead instead of doing rotas til midnight
@police-staff-jas | Police staff are 40% of the workforce and about 4% of the conversation. Leaders, please remember us.
gen | The type that don't need a six figure consultancy to tell them what the front line already knows
@early-help-eve | Early help workers are told to be "relational" and then given a caseload of 40. Pick one.
@dr-kemi-policy | Small discretionary budgets at the front line are one of the best-evidenced cheap changes going. And one of the least adopted.
@coach-gareth | The squeezed middle is where culture actually lives, and leadership development budgets almost always skip them.
@support-worker-leon | social care staff are always the last to be asked and the first to be blamed
@neighbourhood-sgt-hamza | Abstraction is the silent killer of neighbourhood policing. Trust gets built over years and lost in a month.
gen | "empowered" teams that still need three signatures to buy a kettle
@primaryteach-ali | Trust teachers with the curriculum. We know our kids. A national script doesn't.
sw | My best manager said "you know this family better than me, what do you think we should do?" and then backed me. That's it. That's the whole thing.
@locum-sw-tunde | As a locum I've worked in 11 local authorities. The good ones all had one thing in common: managers who trusted staff to make decisions and didn't hide behind panels.
council | Devolve budgets to neighbourhood teams. Even small ones. Watch what happens. #LocalGov
@pc-amira | Let neighbourhood officers solve problems instead of closing incidents. Closing an incident isn't the same as solving a problem.
"""

WELLBEING = r"""
@kaitlyn-rn L=298 t=1.1 oplike | Compassionate leadership isn't a wellbeing week and a fruit bowl. It's safe staffing, breaks you can actually take, and a manager who notices when you're not ok. #NHS
  nurse L=22 | the fruit bowl 😭 we got a fruit bowl after the worst winter of my career
    nurse L=8 | we got a pizza. one pizza. for 40 staff
      gen L=3 | the pizza is always the tell
  @chiefnurse-yvonne L=6 | Saving this. Safe staffing is the foundation of compassionate care, for patients and for staff. We don't always get it right but we have to keep saying it.
@lisa-icu L=26 | After covid half my unit left. The ones who stayed are tired in a way sleep doesn't fix. We need leaders who understand that and plan for it instead of pretending we're back to normal.
@tiredsocialworker L=31 | burnout isn't a personal resilience problem. stop sending me resilience training. send me a smaller caseload
  sw L=6 | resilience training is how organisations make their problems your fault
sw | Psychological safety. Being able to say "I'm worried about this family" or "I made a mistake" without it turning into a disciplinary. Until that exists everything else is noise.
  @prof-publicadmin L=10 | Exactly. Organisations that punish errors don't get fewer errors, they get fewer reported errors.
    nhs | learned this the hard way. incident reporting went down after a new director arrived. not because things got safer
gen | The kind that lets people go home on time
teacher L=4 | I'd settle for a leader who doesn't send emails at 11pm. Even if you "don't expect a reply", we read them, and then we lie awake.
@carehome-manager-tess L=40 | Care home managers need care too. Nobody checks on us. We hold the grief of every resident we lose and then open the doors again the next morning.
@firefighter-fran | Trauma-informed leadership please. We see things. Pretending we're fine because "that's the job" has cost us good people.
nhs | Psychological safety means the junior doctor can tell the consultant they think something's wrong and not get eaten alive. We're still not there in lots of places.
@hca-debbie L=36 | Just some kindness. HCA for 26 years. I've had one manager in all that time who said thank you properly. I still remember her name.
  cit | what was her name?
    ^^ | Margaret. she retired in 2011 and i cried more than at my own wedding 😂
exec | Leaders, look after yourselves too. I burned out as a director a few years ago and it took over a year to recover. You can't hold everyone else if no one is holding you.
police | Welfare in policing is a phone number on a poster. Most officers I know won't call it because they think it'll go on their record
gen L=20 | Nobody goes into public service for the money. Don't make them leave because of the management.
@ayo-nurses L=7 | International nurses hold so much of the NHS up. Leaders need to make sure we're treated fairly, progressed fairly, and not just thanked in speeches.
nurse | leadership that sorts the rota more than 2 weeks in advance so we can have a life
@deputy-ceo-liz | Compassion and accountability aren't opposites. You can hold high standards and be kind. The best leaders I've had did both.
nurse | the kind that doesn't charge staff £12 a day to park at the hospital they work at
gen | the canteen closes at 2pm. night staff eat from a vending machine. whoever decided that has never worked a night in their life
@physio-dan | Give people time. Time to think, time to talk to each other, time to care. Every efficiency drive takes the time out first.
@da-worker-zara | Domestic abuse work is heavy. Clinical supervision shouldn't be the first thing cut when budgets are tight. It's the thing keeping us going.
gen | leadership that doesn't schedule the wellbeing webinar for 4:45 on a friday
@hospice-harriet | We talk about compassionate leadership like it's new. Hospice nurses have been doing it for decades: presence, honesty, time. It can be taught but it has to be valued.
@tomlinsonfy2 | psychological safety is a lottery. some rotations are amazing. on others you learn to keep your head down and hope nothing goes wrong
nurse | I've cried in the sluice more times than i can count. not because of the patients. because of how we're treated. #NHS
gen | You can't have psychological safety in an organisation that restructures every year
teacher | Staff wellbeing isn't yoga in the hall after school. It's not being asked to do the impossible with a smile.
@sw-hannah-k | #socialwork Supervision that's actually reflective and not just a case management checklist. Please. We're carrying a lot.
@cop-on-nights | 6 rest days cancelled this month. Leaders talk about wellbeing and then do that. Actions, words, etc.
@student-nurse-abi | Student nurse here. I've already watched two of my mentors leave. Please fix this before my cohort qualifies.
@nursetash-rmn | mental health nursing needs leaders who get that staff carry trauma home. debriefs after incidents should be standard, not a luxury
exec | Honest admission: I used to think wellbeing was HR's job. It's mine. It's every leader's.
"""

FUNDING = r"""
@union-rep-karen L=267 t=1.6 oplike | Respectfully, the best leadership in the world can't make up for 15 years of cuts. We can talk about compassion and co-production all day but if there's no one on the rota it's just words. #PublicServices
  @nhs-ceo-mark L=24 | Both things are true though? Funding is necessary but not sufficient. I've seen well funded services run badly too.
    ^^ L=48 | Sure. But you don't see many badly funded services run well for long, do you?
      ^^ L=20 | No. Point taken.
      gen L=9 | this exchange is better than most select committees
  cit | 👏👏👏
@revsandbens | We're doing more with less every year. At some point it becomes less with less and no one in charge wants to say it out loud
gen | Leadership that tells the truth about money. Stop pretending cuts are "efficiencies"
@cllr-amir L=118 t=3.1 | As a councillor: the hardest part of leadership right now is being honest with residents about what we can no longer afford, while still protecting the things that hold a place together. There are no easy answers and anyone who says there are is selling something.
  cit | appreciate the honesty. most of your lot just blame the other party
    ^^ | There's plenty of blame to go round! But residents don't want a blame game, they want the library open.
@foodbank-fi L=143 | Our food bank now feeds nurses and teaching assistants. Let that sink in. Any conversation about leadership in public services that doesn't start there is missing the point.
sw | Caseloads of 30+. Agency staff churning through. No budget for the early help that stops things reaching crisis. Leadership has to mean saying no to new initiatives until the basics are funded.
gen | you cant co-produce your way out of a funding crisis
  @charity-ceo-marie | No, but you make far better decisions about where scarce money goes when the people using services are in the room. Both matter.
    ^^ | fair enough. I just get tired of buzzwords while services close
      ^^ | Completely get that. Me too, honestly.
@dph-matt L=27 | Public health grant down in real terms year after year, then we're asked why prevention isn't working. Prevention is the first thing cut and the last thing funded. That's a leadership failure at national level.
cit | Fund it properly then we'll talk about leadership. Its not rocket science
council | Demand is outstripping everything. Adult social care alone eats most of our budget. Any "vision" has to start from that reality
police | We're told to prevent crime with half the neighbourhood teams we used to have. Leadership would be someone saying "that's not possible" upwards instead of "we'll find a way" downwards
gen | the phrase "difficult choices" means someone else's service is about to close
@homecare-grace L=5 | Pay carers properly and then we'll talk about leadership
@assistant-director-kev L=9 | As an AD in adult social care: the gap between what we know works (strengths-based, early help, community-led) and what we can fund is huge. I don't need more inspiration. I need permission and a multi-year budget.
cit | The kind that doesn't take a £200k salary while closing children's centres. How about that.
gen | honestly sick of the word leadership. just do you're job and fund the services
council | Every pound we spend firefighting crisis is a pound we don't have for prevention. Breaking that cycle needs someone brave enough to double-run for a few years. Nobody will fund the double-running.
  acad | invest-to-save needs the "invest" bit and the patience to wait for the "save". rarely get either
gen | listen, trust, fund. in that order. or maybe fund first tbh
council | "more with less" has been the theme of every away day since 2011
acad | Short-termism is built into the funding cycle. One-year settlements make long-term leadership almost impossible.
@finance-bp-nick | Finance business partner in a council. The numbers don't add up and haven't for years. Leaders need to be honest with the public about that instead of pretending one more efficiency programme will close the gap.
gen | cant lead anything if half the posts are vacant and the other half are agency. we've lost alot of good people #NHS
@highways-hugh | Our highways budget is a fraction of what it was. The potholes aren't a leadership failure locally, they're arithmetic.
cit | my library's open 2 days a week now. the kids on my road used to do their homework there. that's what "tough choices" looks like
@care-worker-precious | I do 12 hour shifts in a care home for just over minimum wage. I love my residents. Leadership is paying us like the job matters. #SocialCare
union | Warm words don't pay rent. Respect is a pay rise and a manageable workload.
"""

PLACE_AND_SYSTEM = r"""
@prof-publicadmin L=142 | Place, not organisation. The problems people face don't respect our org charts. Leaders need to see themselves as stewards of a place and a system, not defenders of their own institution's budget line.
  @icb-director-paul L=8 | Agree in principle. In practice the accountability regime still holds each of us to our own organisation's targets. Until that changes, system leadership gets done in people's spare time.
    ^^ L=6 | Yes, which is why the accountability frameworks themselves need leadership. Chicken and egg, but someone has to go first.
      @cllr-jane-ward L=4 | Happy to go first. Our place board has talked about pooled budgets for 3 years. Let's just do it.
  consult | "system leadership" is the most used and least defined phrase in public services right now
    ^^ L=7 | Fair! I'd define it as leading beyond your formal authority, for an outcome no single organisation owns.
@neighbourhoods-nia L=33 | Locality teams across council, NHS, police, housing and the voluntary sector in the same patch, with one instruction: find out what's really going on for people and do the right thing. We tried it. Demand went down.
council L=7 | Local by default. Decisions as close to people as possible. Whitehall can't run a bin round in Barnsley.
  @whitehall-wonk L=6 | speaking as Whitehall... we know. some of us are trying to give more away, honestly
    ^^ | then give the money away too 😉
      ^^ | working on it. slowly. very slowly.
cit | Leadership of a PLACE means knowing the place. Walk the streets. Use the bus. Sit in the GP waiting room. Half our council's senior team don't live here
acad | Most places are stuck somewhere between "partnership board" and genuinely shared decision making. The gap is power, not structure. The "five worlds" framing is useful on this: https://bit.ly/fiveworldsplaceafter
@cvs-director-ade L=9 | The voluntary sector is part of the system, not a supplier to it. System leadership means VCS leaders at the table as equals, with the same information and the same voice.
exec | In our area the NHS, council, police and VCS chiefs meet monthly with no papers and one agenda item: "what's getting in the way". Best meeting I go to.
gen | Systems leadership is when you care more about the outcome for the person than about which budget pays for it
@cllr-gethin | Rural areas need leaders who understand that one bus a day isn't "access" to services. Place-based has to include small places too.
@paramedicpete | More time on the road with patients, less time queuing outside A&E. That's a system leadership problem, not an ambulance one.
@scotgov-iain | Up here we've had plenty of good words about public service reform for a long time. The gap has always been between the words and the leadership to actually do it.
@complexity-carla L=8 | Complex problems don't have owners, they have many contributors. Leadership in complexity means convening, experimenting and learning together. Not a plan on a page.
@district-nurse-bev L=21 | Community nursing is invisible to most leaders. We keep thousands of people out of hospital every single day. Come out in the car with us for a day.
cit | why does every service need me to tell my story 9 times? one person, one plan, one conversation. joined up leadership please
@envhealth-erin | Environmental health sees the link between housing, health and poverty every day. System leadership means acting on it together, not passing it between departments.
exec | ICB, council, police, VCS: we all serve the same people in the same place. Joint posts, pooled budgets, shared data. Start there.
gen | Place-based leadership means the people making decisions will still be here in 10 years
@dr-helen-policylab | "Place" isn't the council boundary. It's the neighbourhood people actually live in. A lot of system leadership happens at the wrong scale.
council | Honestly? Put the council, the NHS and the housing association in one building. We'd sort half our shared cases in a month.
"""

COMMUNITY_POWER = r"""
@mutualaid-maya L=204 t=2.4 oplike | In 2020 our mutual aid group had 400 volunteers within a week. No strategy, no steering group. The council's best move was trusting us and giving us one named contact. Its worst was trying to "formalise" us 6 months later. Communities are not a resource to be managed.
  @cllr-jane-ward L=6 | This is hard to read because I think we did exactly that. Lesson learned.
    ^^ | appreciate you saying that. the door's still open x
@social-prescriber-tash L=6 | Strengths-based means starting with what people CAN do and what's already strong in their lives, not a list of deficits. It's a different conversation and it changes everything.
  sw | strengths based practice is great until the system only funds deficit based assessments
    ^^ | yes. the funding model drags you straight back to "what's wrong with you"
cit L=8 | Co-production means we design it together. Not you design it, then show us a powerpoint and call it co-production.
  gen | the "co-production" workshop where all the post-its were pre-written
    cit | I've been to that workshop. twice.
@dev-trust-owen L=23 | Put assets in community hands. We took over a closed library and it's now open 6 days a week with a cafe, a job club and a repair shop. The council's leadership was letting go and backing us with a long lease.
charity | Citizens' voice has to come with power. A citizens' panel that can't change anything is just a focus group with better biscuits.
acad | The social contract between councils and communities needs rewriting. Less "we provide, you receive", more "what can we do together". Wigan gets cited for a reason.
cit | My street has a WhatsApp group that's done more for the older folk on our road than any service. Leaders should learn from that, not compete with it
@youthwork-jay L=8 | Ask young people. Seriously. They have better ideas than most strategy documents and they're never in the room. #youthwork
@refugee-support-yusuf | Communities that are new to an area have so much to give. Leaders need to stop seeing them only as "need" and start seeing the skills, the languages, the energy.
gen | Power. The word nobody in public services likes saying. Real community empowerment means giving some of it away.
@estate-rep-deb | I chair our tenants association. When the housing director started coming to our meetings every quarter, things started getting fixed. Turns out showing up is most of it.
@communitychef-luis | Community kitchens, youth clubs, allotments: that's where a place actually gets looked after. Fund the small stuff, leaders. It's cheap and it works.
cit | Leadership means treating residents as adults who can solve problems, not as customers to be managed or risks to be mitigated
@carers-centre-pat | Co-production isn't a meeting. It's a relationship. You can't do it in a 6 week consultation window.
@cllr-siobhan | The best thing we did as a council was hand a small budget to a residents' panel and let them decide. They spent it better than we would have.
  gen | what did they spend it on?
    ^^ | Mostly on things we'd never have thought of: benches on the walk to the GP, a warm space run by the mosque, repairs to the scout hut. Small, local, loved.
council | worth saying the Wigan approach took a decade and a lot of consistent leadership. everyone wants the results without the decade
teacher | our school council came up with a better anti-bullying plan in one hour than SLT managed in a term. ask young people
@cllr-gethin | We started a youth assembly last year. They've already changed two of our budget decisions. Best thing we've done.
@vcs-rach | Community groups aren't a free delivery arm for the council. If you want us to do the work, share the money and the decisions.
cit | Ask people what matters to them, not what's the matter with them
@advice-worker-col | Advice workers see the system from the bottom up. Let people with lived experience design the services. They know exactly where it breaks.
@foodbank-vol-geoff | volunteer at a food bank. the people who come in have more ideas about fixing things than most councillors I've met (sorry councillors)
gen | Citizens' assemblies. Proper ones. With real decisions at the end.
@charity-worker-amara | Strengths-based isn't a slogan. It means backing people's own networks instead of replacing them with professionals.
"""

RELATIONSHIPS = r"""
@vcs-connector-sam L=131 | Relationships are the work. Not a nice-to-have on top of the work. And nobody funds them. Every contract I've seen pays for outputs, never for the connecting that makes the outputs possible.
  @grants-officer-becs L=4 | As a funder: guilty. We're trying to fund core costs and "relationship time" more. It's a hard sell to some trustees.
    ^^ | thank you for trying. it does make a difference
@da-worker-zara | Trust takes years to build and can be destroyed in one phone call. Leaders who move on every 2 years never see the consequences of the trust they broke.
police | Policing by consent means relationships. You can't have a relationship with a community you only see when something's gone wrong
gen | Good relationships beat good structures every time. definately in my experience anyway
exec | The best predictor I've found of whether a partnership works: do the people involved actually trust each other. Not the MOU, not the governance. Relationships.
@sendparent-jo L=42 | We've had 7 social workers for my son in 3 years. Seven. Every time we start again from scratch. You can't build trust like that. Please keep people in post.
  sw L=7 | I'm so sorry. Churn breaks families and it breaks us too. Most of us leave because of caseloads and culture, not because we stopped caring.
  @director-caroline L=5 | This is the thing that keeps me up at night. Stability of relationships for children should be our first measure, not an afterthought.
    ^^ | then please make it one. we're tired of starting again
teacher | Relationships with families. That's leadership in a school. The rest is admin.
@ftw-kwame | Families don't need more services. They need one person who knows them and sticks around.
@leaving-care-lee L=10 | Corporate parenting means acting like a parent. Would you let your own kid leave home at 18 with no support and a bin bag of clothes? Leadership is asking that question every time.
  @cllr-siobhan | As a corporate parent this is the question I try to ask at every meeting. It's the right one.
@bookish-bea | Retired librarian. The best leaders I worked for knew every member of staff by name and every regular by their favourite author. Local leadership is personal.
gen | Someone who says thank you and means it
@msmaths-vee | Trust between staff and leaders is built in the small stuff. Covering a lesson so someone can see their kid's assembly. Remembering. Following up.
acad | Relational welfare has been argued for a long time. The system keeps snapping back to transactions because transactions are countable.
gen | Relationships take time. Time costs money. Nobody wants to fund time. There's your problem.
@cp-sw-lena | Relationship-based practice needs relationship-based management. You can't ask me to hold families if nobody holds me.
@geog-teacher-rhod | Best head I worked for stood at the gate every morning. Knew every kid and every parent by name. That's the job.
"""

VALUES_AND_INTEGRITY = r"""
@ex-dci-carol L=176 | Integrity. Say what you'll do, do what you said, and own it when you don't. I watched careers built on managing the story rather than telling the truth. Public trust gets built the other way.
  gen | this
  police | respected you when you were my DI, still do 🫡
    ^^ | ah you'll make me cry. hope you're doing well x
@civilservant-ceri L=8 | Public service ethos isn't old fashioned. It's what gets people out of bed at 5am to make sure the gritters run. Leaders should protect it, not contract it out.
cit L=5 | Transparency. Publish the decisions, publish the reasons, publish the data. If you can't explain it to residents you probably shouldn't be doing it.
gen | Accountability that runs downwards to the public, not just upwards to ministers
acad L=5 | Putting the public before institutional ego sounds obvious, but nearly every inquiry report ends up saying the same thing: the organisation protected itself.
union | Leaders who treat trade unions as partners, not obstacles. We're often the ones hearing from staff when nobody else is.
gen | honesty. just honesty
@parishcllr-roy | Leaders who turn up. Not on zoom. At the village hall, on a wet Tuesday, when residents are angry. That's public service.
cit L=6 | Stop paying consultants millions to tell you what your own staff already told you for free
  @changeagent-chris | Speaking as a consultant: agree. The good ones of us should be helping your staff be heard, not replacing them.
    gen L=4 | "the good ones of us" doing some heavy lifting there 😂
      ^^ | ha. fair
gen | a leader who doesn't hide behind "lessons will be learned"
@midwife-sal L=29 | Maternity needs leaders who listen to midwives AND to women. Every inquiry says it. Every single time.
  cit | as someone who wasn't listened to in labour, thank you for saying it
    ^^ | I'm so sorry. You should have been. ❤️
cit L=4 | Leaders who use the services they run. NHS bosses on NHS waiting lists. Councillors whose kids go to the local school.
gen | Honest ones.
gen | Kind, competent, and not in it for the knighthood
gen | Brave leadership. Saying no to ministers sometimes.
cit | Public services need leaders who come from the communities they serve. Look at most boards and tell me they look like the people they serve.
@planning-pav | Planning officer here. Leadership would be politicians backing officers' professional advice instead of overturning it when it gets noisy. And then blaming us.
gen | Public service leadership is about the public. It's in the name. Too often it's about the service.
@tradingstandardstom | Back us when we take on the big boys. Too many enforcement cases get quietly dropped because someone senior is worried about the legal bill.
gen L=3 | Someone who'll stay long enough to be held accountable for there own decisions
gen | Leadership that isn't scared of the Daily Mail
@data-dave | Open data by default would save so many FOI requests. We answer the same 20 questions every year
gen L=6 | lessons have been learned. they've been learned about nine times. they just haven't been applied.
gen | Leaders who publish their diaries. who they're meeting, who's lobbying them. sunlight.
@decisionmaker-jo | Decisions should be explainable to the person they affect. If I can't explain a decision to a claimant in plain English, the rule is wrong.
cit | Honesty about waiting lists. Tell me it's 18 months. Don't tell me "shortly".
@ha-chiefexec-tim | Running a housing association taught me this: tenants forgive mistakes. They don't forgive being ignored or lied to.
gen | the nolan principles. we already wrote them down. just follow them https://en.wikipedia.org/wiki/Seven_Principles_of_Public_Life
"""

PARTNERSHIP = r"""
@charity-ceo-marie L=44 | Partnership should mean partnership. Not a contract where the small charity carries all the risk and the statutory body keeps all the power. We were once told to "collaborate" with three organisations we were also bidding against.
  @commissioning-claire L=4 | As a commissioner: we hear this. Competitive tendering is often a legal requirement, not a choice, but there's more flexibility than people use. Alliance contracts are one route.
    ^^ L=3 | alliance contracts work when there's trust. when there isn't, they're competition with extra meetings
      ^^ | Ha, can't argue with that.
gen | Leaders who share credit. Partnerships die the moment one organisation puts its logo bigger on the press release.
  @comms-hattie L=4 | as a comms person I can confirm logo size negotiations are the most intense diplomacy in local government
exec | Collaboration is a contact sport. You have to show up, keep showing up, and be willing to lose some arguments for the greater good.
@icb-director-paul | Integrated care only works if we genuinely integrate the leadership, not just the org charts. Still a long way to go.
police | Best partnership I've seen: a shared office with children's services and health for safeguarding. Info sharing went from weeks to minutes. Leaders made it happen by agreeing to sit together.
@shared-lives-sian | Don't forget independent and social enterprise providers. We're part of public service too, even if our payslips say something different.
gen | silos everywhere. we all work for the same people in the end
@interim-director-rich | Seen it in a dozen councils: the partnership is only as good as the relationship between two or three people. When they leave it falls apart. Build it into how the organisations work, not who's in post.
@recovery-cafe-pj | Small community organisations are trusted in ways statutory services aren't. Partnership means using that trust carefully, not just referring everyone to us with no funding.
@sw-manager-jules | Best multi-agency meeting I ever chaired had no logos on the slides and no one defending their budget. Just "what does this family need and who's best placed". Rare.
gen | stop making charities compete for crumbs and calling it "market development"
@policy-advisor-amar | Cross-government working needs shared budgets, not shared slogans.
"""

INNOVATION_AND_RISK = r"""
@dr-hannah-gp L=8 | Measured risk-taking. Let us try things on a small scale, see if they work, stop them if they don't. Right now the only safe option is to never try anything.
  gen | "pilotitis" is real too though. endless pilots that never scale
    ^^ | true! try, learn, then actually commit when it works
@changeagent-chris | Encourage a bit of creative insurgency. Every good change I've seen in public services started with someone breaking a rule that made no sense.
civ | Innovation needs cover from the top. One bad headline and every innovator in the department goes quiet for 5 years
council | Stop buying shiny digital systems before you've understood the service. We spent £2m on a platform that made the process slower.
teacher | Give teachers time to try new things without fearing the next observation
@ec-officer-raj | Permission to fail. Not recklessly. Small, quick, learning. We learn more from one honest failure than from ten success stories written by comms.
@localgovgeek | Digital leadership in public services means understanding users, not buying a chatbot. Please.
  gen | "have you tried our new virtual assistant" no. I want a human.
    @localgovgeek | exactly. digital should free up humans for the people who need them, not replace them
gen | courage to say "we don't know yet"
@watchmanager-dev | On my watch we debrief everything, good and bad, no blame. Leaders elsewhere could nick that for free.
council | the rule breakers in my org either get promoted or sacked, nothing in between
@fast-streamer-zoe | the risk appetite statement says "open" and then the first time something goes wrong it's "why didn't you escalate"
@localgovgeek L=4 | Technology doesn't fix a bad process, it just makes it fail faster. Sort the service design first.
@leancoach-lee | Run small experiments, learn fast, scale what works. Not rocket science, but it needs leaders who can tolerate not knowing for a while.
gen | Innovation in public services mostly means a brave middle manager quietly ignoring a rule. Protect those people.
@designer-farah | Service design starts with watching people use the service. Most leaders never have. Book an afternoon. It'll change your priorities.
"""

PURPOSE_AND_OUTCOMES = r"""
@chiefexec-anjali L=48 | Shared purpose first. When everyone across the system can say in plain words what we're trying to achieve for people, structure and process follow. When they can't, no amount of governance will save you.
  gen | what's your shared purpose in plain words? genuinely curious
    ^^ L=6 | "Every child here has a safe, loving home and a good school to go to." Not perfect, but everyone remembers it.
      gen | that's a good one tbh
council | Outcomes not outputs. Nobody cares how many leaflets we printed. They care whether their dad got the support he needed.
gen | Purpose over process every time
cit L=24 | What is the point of a process that means my disabled daughter waits 14 months for a wheelchair assessment? Who does that process serve?
  @wheelie-will | 14 months for a chair. I'm so sorry. The process serves the process.
@practice-educator-ros | Managing by outcomes, not presenteeism. I don't care whether my team are in the office. I care whether the families they work with are safer.
@station-manager-kath | From the fire service: prevention is where the real leadership is. We cut fires massively through community work. Nobody writes headlines about the fires that didn't happen.
@phdsurvival-josh | Public value is still the best framing I know: leaders should ask "what do the public value?", not "what does my organisation need?"
  gen | @{parent} reading list please 🙏
    ^^ | Moore's "Creating Public Value" is the classic. Heifetz's "Leadership Without Easy Answers" for the adaptive bit. Both old, both still on point. https://en.wikipedia.org/wiki/Public_value
@amina-pharm | Hospital pharmacist here. Two things. 1) ask us before you change any process that touches medicines. we'll save you from so many incidents
  ^ dt=2 | 2) stop measuring us on how fast we discharge and start asking whether patients actually understood their meds. one is a target, the other is care
@sister-maureen L=32 | 42 years nursing, now retired. Matron used to know every patient's name on every ward. Not a spreadsheet in sight. It wasn't perfect but the leadership was close to the care.
@dph-anne-marie | If we measured success by how many people didn't need us next year, we'd make very different decisions this year.
gen | the purpose of the NHS is not to hit the 4 hour target. someone tell the NHS
@strategic-director-ola | A shared purpose everyone can repeat beats a 60 page strategy nobody reads.
"""

DEVELOPMENT = r"""
@od-practitioner-bella L=7 | Invest in leadership development across a place, not just inside one organisation. Put a police inspector, a head, a GP, a housing officer and a community organiser in the same cohort and watch what happens.
  @sgt-rob | Did one of these. Best course I've ever been on because I actually met the people I work with
exec | Succession planning is almost non-existent in local government. Someone great leaves and everything they built walks out with them.
@leadershipscholar L=22 | We still select leaders for charisma and confidence, then act surprised when they lack humility and listening skills. Change the recruitment, change the leadership.
council L=5 | Actually train managers. So many get promoted because they're good at the job and then get zero support to manage people. Not fair on them or their teams.
  @sw-student-ellie | as a student I worry about this. who will mentor the next lot of us if everyone's burnt out?
    sw | we will. we always do. it just shouldn't be this hard ❤️
@whitehall-wonk | The civil service rotates people every 18 months, so nobody's around long enough to see the consequences of their decisions. Fix that and you fix a lot.
@ect-jamie | Leaders who remember what it's like to be new. My first year nearly broke me. The mentor who made it bearable wasn't senior, she was just kind and honest.
gen | coaching > courses
@coach-gareth | Leadership development that's just a 2 day course and a certificate changes nothing. Peer support, action learning, time to reflect with others doing the same job: that's what sticks.
@hr-director-joanna | We stopped sending people on generic leadership programmes and started funding peer learning sets across services. Cheaper, and people actually still talk about them a year later.
gen | i'd just like a leader who isn't always away on a leadership course
  gen L=4 | they're always away on the course about being present 😂
@fe-lecturer-andy | FE gets forgotten every time. We train the care workers, the apprentices, the next lot of public servants. Leaders in government, remember colleges exist.
@headteacher-hel | Most of the best leaders I've worked with would fail a traditional assessment centre.
nurse | promoted to band 7 on a friday, managing 30 people on the monday. no training for a year. that's how we grow leaders apparently
@emeritus-bill | Forty years teaching public management. The best leaders I taught had all done a front-line job first and never forgot it.
council | Grow your own. Apprenticeships, secondments, shadowing. Half our senior team started on the phones or on the bins.
gen | mentoring for new managers should be standard. nobody is born knowing how to manage 20 people
"""

HYBRID_WORKING = r"""
council L=3 | Hybrid working needs different leadership. Lead by outcomes, trust people, and make the office worth coming in for. Mandating 3 days a week for the sake of it isn't leadership.
  @ops-director-greg | I'd push back a bit. New starters and apprentices learn so much from being around people. Fully remote has costs we don't always see.
    ^^ | agree on new starters. but that's an argument for designing it well, not a blanket mandate
      ^^ | Yes, that's fair. Design it well.
@heo-harry | #CivilService Office attendance data is not a performance measure. I've sat in an office all day on Teams calls with people in other offices.
civ | Leading a team spread across four towns means being deliberate about connection. Regular check-ins, cameras optional, no meetings on fridays. It's not hard, it just has to be intentional.
nurse | remote working doesn't exist on a ward lol. nice for some
@g7-georgia | Hybrid has been brilliant for my team's wellbeing and terrible for the informal learning that used to happen in the corridor. Leadership is finding a way to get the second back without losing the first.
gen | the office is for collaboration, home is for focus. why is this so hard for execs to get
@civvy-steph | Remote working done well made our team more inclusive: disabled colleagues, carers, people who don't live near the office. Don't throw that away for "culture".
gen | leading a hybrid team is a skill. most managers were never taught it and it shows
"""

MIXED_VOICES = r"""
@publicservicesnet L=29 t=2.6 | Wow. Thank you all, we're reading every single reply. Keep them coming 🙏
@publicservicesnet L=46 t=52.3 | Thank you to everyone who has replied, over 500 of you! We'll pull the themes together and share them back in this thread next week. Special thanks to everyone replying from a break room at 3am. We see you 💙
  @estate-rep-deb | will it say what you're going to do about it though?
    ^^ | Yes, that's the plan: what we heard, and what we'll take forward. We'll be honest about what's not in our gift too.
@leadershipscholar L=38 | A short thread on what the evidence says about public service leadership 🧵 1/4
  ^ dt=2 L=20 | 2/4 Leadership that works in complex systems is collective, relational and distributed. It's less about the person at the top and more about the conditions they create.
    ^ dt=2 L=10 | 3/4 Those conditions: psychological safety, a clear shared purpose, real discretion at the front line, time for relationships, and accountability that learns rather than blames.
      ^ dt=3 L=22 | 4/4 None of this is new. What's missing isn't knowledge, it's the courage and the resources to act on it. /end
        gen | great thread, thank you
gen L=28 t=46.2 | Reading these replies has genuinely given me hope. So many people who still care despite everything. That IS the leadership.
teacher L=6 | hopeful note: our new head spent her first month just asking everyone what they'd change. then she changed some of it. morale is the best it's been in years
gen | Have you tried a new strategy with "transformation" in the title? Works every time apparently
gen | Could I suggest a leadership away day at a country hotel with a facilitated session on austerity
gen | We need leaders with a strong vision, five values in a nice font and a new logo. that should sort it
gen | unpopular opinion but sometimes you just need someone to make a decision. not everything needs co-producing
  @ex-chiefexec-martin L=4 | Not unpopular. The best leaders know which decisions to share and which to just make. The skill is telling the difference.
@mrbradleyhistory | Leaders who read history. Every "bold new reform" was tried in 1978, 1994 and 2006.
acad | The shift from New Public Management to something more relational is long overdue. Markets and targets were meant to fix public services; mostly they fragmented them.
teacher | leadership that doesn't come with a 47 slide deck
cit | As a patient: the staff are wonderful, the systems are awful. whoever is in charge of the systems, please fix them.
@mum-of-three-leeds L=10 | Parent of a child with SEND: leaders who answer emails. That's it. That's my bar. It's on the floor.
  @senco-sara | I'm so sorry. SENCos are drowning too, I promise it isn't that we don't care. Doesn't make it ok for you though.
gen | People over paperwork
cit | Leadership that doesn't treat asking for help as failure, for staff and for the public
@scienceteacherfaz | Consistency. Every new head brings new priorities. Kids need stability. So do staff.
gen | Leadership that's visible. Not a photo on the intranet.
gen | the kind that stays longer than 2 years
gen | competent. im not even asking for inspiring at this point, just competent
exec | We ran listening sessions after our staff survey. Most common request? "Fix the broken stuff we've already told you about." Not even pay (though yes, that too). Basic respect for the work.
union | Staff voice isn't an annual survey with a 23% response rate. It's real negotiation, real consultation, real change.
gen | leaders who've been on the receiving end of the service. even once.
cit | honestly just answer the phone. that would be leadership at this point
@glasgow-gav | Same up here. Great staff, knackered, let down by folk at the top who've never done the job. Fix that first.
@danny-from-hull | my dad got brilliant care at the end of his life from a district nurse who was clearly run ragged. whoever her boss was, please give her a medal and a colleague
  @district-nurse-bev | This means a lot, thank you. We'll take the colleague first 😅
@retired-engineer-alan | I worked in engineering for 40 years. Good leaders fixed the system, bad ones blamed the operators. Sounds like public services have the same problem.
@cardiff-cath | @publicservicesnet.bsky.social will you actually publish what comes out of this? Genuine question
  @publicservicesnet | Yes. We'll post a summary in this thread. Thanks for asking!
@control-room-kaz | Control room staff are the first voice people hear in a crisis and the last people leadership thinks about. Come and sit with us on a Friday night.
@northernsoul-norma | My late husband was a fireman for 30 year. He always said the best officers were the ones who'd carry the hose with you. Never changed, that.
gen t=8.3 | Agree with @lgofficer-sue.bsky.social further up. Permission is the whole thing.
@cllr-bola t=29.5 | @cllr-amir.bsky.social your reply about the library is exactly where we are too. Coffee sometime? Would love to compare notes.
cit | Kindness. Costs nothing and it's in very short supply.
@priya-ed-reg | ED reg. I don't need a motivational email. I need a bed for the 84 year old who's been in my department for 31 hours.
  nurse L=4 | and a porter, and a side room, and a working commode. but yes, mainly the bed.
@kids-sw-marcus | Leaders who'll back social workers in court and in the press when we've done the right thing and it still went badly. Because sometimes it will.
@iro-sophie | Lots of talk about relationship-based practice. Meanwhile I have 90 children on my caseload. I'd love to have relationships with them.
@facilitator-fern | Leaders who can hold a room when it gets uncomfortable, rather than moving everyone swiftly on to "next steps".
@socialpolicy-sean t=40.5 | Most of what's in this thread was in the Christie report, the Locality work, the Anti-Hero report, and a dozen others. The diagnosis has been done. Leadership now is implementation.
@dr-nadia-hsr | Evidence from health services research is pretty consistent: staff wellbeing, patient experience and safety move together. Leadership that looks after staff IS leadership that looks after patients.
gen | honestly? someone who doesn't use the word "journey"
@dr-lowri-govt | Leadership in devolved nations often looks different: smaller systems, more personal relationships, less room to hide. There's a lot to learn from that.
@brummie-baz | Stop spending money on rebrands. Our council spent thousands on a new logo while the potholes outside my house are big enough to lose a toddler in
@radiographer-ravi | Diagnostics is a team sport. Leaders who see the whole pathway rather than just their own waiting list would fix a lot.
@paeds-nurse-cat | Leaders who remember that children's services are for children. Put their voice in the room, always.
@anaes-jx | Theatre teams work because everyone can speak up. That culture is leadership. It doesn't happen by accident.
@salt-naomi | Speech & language therapy waiting lists for kids are huge. Leadership = being honest about that and fighting for the workforce, not rebranding the waiting list as a "pathway"
@service-director-femi | Something I try to practise: I'm not the expert on anyone's life but theirs. My job is to make sure the people who are close to them have the time, trust and tools to help.
@hcsw-marie-t | Thank you for asking. Nobody usually does
cit | EHCP 11 months overdue. no one will even tell us why. leadership would be someone picking up the phone
gen | @publicservicesnet.bsky.social please actually read these. there's more wisdom in this thread than in most consultancy reports
nurse t=14.2 | what @kaitlyn-rn.bsky.social said. print it out and stick it on the boardroom door
@associate-ruth-p | We ran an open learning community on exactly this question back in 2020 and the notes still hold up: https://www.publicservicetransformation.org/2020/04/the-days-after-a-learning-community-to-build-back-better/
"""

OFF_TOPIC = r"""
gen | is anyone else's feed just this thread now
gen | how do I mute a thread on here 😭
gen | anyone know if the ring road by the retail park is still shut? sat in traffic for 40 mins
gen | Sorry, wrong thread! Meant to reply to the bake sale post 🙈
gen t=0.04 | first
  gen | it's 2026 why are people still doing this
gen | Love the 👇. Very on brand for a public sector account
gen | Who else is here from the newsletter?
cit | Does anyone know when the consultation on bin collections closes? Can't find it anywhere on the website
gen L=32 | my cat walked across the keyboard while i was writing a very thoughtful reply. all that survived was "jjjjjjjjjjjkkkkk". honestly close to what i was going to say
gen t=17.1 | great, now I'm thinking about leadership at 2am instead of sleeping
gen | Unrelated but our road hasn't been gritted once this winter. Who do I actually complain to?
gen | only here for the replies 🍿
gen L=6 | whoever runs this account deserves a pay rise for the engagement alone
  @publicservicesnet L=5 | Please tell our director 😅
gen L=8 | I read this as "what kind of ladders do our public services need" and had a very confused minute
  gen | tbf the fire service does need ladders
    @retained-ash | can confirm. ladders are important
gen | Leadership? In this economy?
gen t=50.8 | me reading 500 replies instead of doing my actual job 👀
gen L=24 t=24.6 | who else got this forwarded by their director with just "thoughts?" 😅
  council | literally me. 8:02am. "thoughts?"
gen L=120 t=21.7 | Buzzword bingo for this thread: system leadership ✅ co-production ✅ place ✅ psychological safety ✅ "walk the talk" ✅ ... HOUSE 🎉
  gen | you forgot "golden thread"
    ^^ | damn. no prize for me then
gen | Is this going to end up in a report nobody reads? Asking for a friend who has filled in 400 consultations
gen | coffee. decent coffee in the staff room. that's leadership
gen L=7 | My cat is an excellent leader. No targets, fully distributed decision making, total trust in the front line (him).
gen | Leadership is when the leader leads. Next question.
gen | Love to see a thread where people are actually being nice to each other on here for once
gen | has anyone else's Teams crashed or is it just our trust
gen | raise your hand if you're reading this on a break you're not technically taking ✋
gen | bring back the milkman
@ottawa-kim t=61 | Hi from Canada! Fascinating thread. Turns out we have all the same problems 😅
@allotment-stan t=139 | Can't believe it took me 6 days to find this thread. Anyway, agree with everyone
gen | "tell us in the replies" is giving LinkedIn
gen | whoever approved the new parking machines at the leisure centre needs a word
gen | I just want to know who keeps stealing my yoghurt from the office fridge. that's the leadership issue I care about
gen | anyone got a spare ticket for the conference next week
gen | bookmarking to read later (will not read later)
gen t=31.2 | this is a lot of replies
gen | what time does the tip shut on sundays, anyone?
gen | hello from the train with no wifi 👋
gen | came for the leadership chat, stayed for the cat content
gen | Is it me or has this app got slower this week
gen t=23.4 | Good morning everyone ☀️
gen t=9.5 | whoever said "leadership is not a lanyard" deserves a medal
gen | Reply if you've ever been on a team building day involving raw eggs 🥚
gen | 🐈
"""

OTHER_LANGUAGES = r"""
@agent-public-marc lang=fr | Même débat en France : on demande aux agents de faire plus avec moins et on appelle ça du « management ». Il faudrait surtout des chefs qui écoutent le terrain. #servicepublic
  @fonctionnaire-claire lang=fr | tellement vrai 👍
@aurelie-infirmiere lang=fr | Un bon leader dans le public, c'est quelqu'un qui protège son équipe et qui assume quand ça va mal. C'est rare.
@fonctionnaire-claire lang=fr | La confiance, ça ne se décrète pas. Ça se construit au quotidien avec les équipes.
@hywel-cymru lang=cy | Arweinyddiaeth sy'n gwrando ar gymunedau, nid un sy'n siarad drostyn nhw. #GwasanaethauCyhoeddus
  @elin-caerdydd lang=cy | Cytuno'n llwyr 👏
@cllr-gethin lang=cy | Angen arweinwyr sy'n deall cefn gwlad hefyd, nid dim ond y dinasoedd mawr.
@nia-ynmon lang=cy+en | Diolch am ofyn! Mae'r cynghorau cymuned yma yn gwneud cymaint heb gael dim cydnabyddiaeth.\n\nThanks for asking! Community councils here do so much and get no recognition at all.
@elin-caerdydd lang=cy | Arweinwyr sy'n parchu'r Gymraeg ac yn cynnig gwasanaethau yn Gymraeg heb i ni orfod gofyn.
@jordi-bcn lang=es | En España pasa lo mismo: mucha gestión y poco liderazgo. Hace falta gente que escuche a quienes están en primera línea.
@ana-valencia lang=es | Trabajo en atención primaria en Valencia y lo que más necesitamos es tiempo. Tiempo para los pacientes y para nosotras.
@lucia-gestion-publica lang=es | Liderazgo público = transparencia y rendición de cuentas. Sin eso no hay confianza.
@verwaltung-jonas lang=de | Bei uns in der Verwaltung heißt Führung leider oft: Vorschriften abarbeiten und bloß keinen Fehler machen. Ein bisschen mehr Mut zum Ausprobieren wäre schön.
@sabine-k lang=de | Vertrauen statt Kontrolle. So einfach und so schwer.
@rn-marta lang=pl | Pracuję jako pielęgniarka w Manchesterze. Najlepsza kierowniczka, jaką miałam, zawsze pytała: czego potrzebujesz, żeby dobrze wykonać swoją pracę? Tylko tyle i aż tyle.
@tomek-leeds lang=pl | Mniej biurokracji, więcej zaufania do ludzi na pierwszej linii.
@uzma-bradford lang=ur | ہمیں ایسی قیادت چاہیے جو کمیونٹی کی بات سنے، خاص طور پر ان لوگوں کی جن کی آواز عام طور پر نہیں سنی جاتی۔
@aoife-galway lang=ga | Ceannaireacht a éisteann. Sin an méid.
@bruna-sp lang=pt | Aqui no Brasil a gente fala muito de gestão e pouco de cuidado com quem está na ponta. Liderança é cuidar de quem cuida.
@giulia-pa lang=it | Leadership nel pubblico? Meno burocrazia, più fiducia nelle persone. E stipendi dignitosi, già che ci siamo.
@femke-utrecht lang=nl | Hier in Nederland hetzelfde verhaal: het vertrouwen tussen overheid en burger moet hersteld worden. Dat begint met luisteren.
@maite-bilbao lang=es | Soy enfermera en Bilbao. Lo que pedimos es sencillo: que nos escuchen antes de decidir.
@asia-opiekunka lang=pl | Pracuję w opiece domowej. Nikt nas nie pyta o zdanie, a to my widzimy ludzi codziennie.
@omar-mcr lang=ar | نحتاج إلى قادة يستمعون إلى الناس ويثقون بالعاملين في الخطوط الأمامية.
"""

SPAM = r"""
@growthhacks-mia | 🚀 Want 10K REAL followers in 7 days?? DM me now 💯 https://growthboost-social.xyz/start
@crypto-king-4421 | Earn $2,500 daily from crypto trading with my mentor 📈📈 message me to learn how
@airdrop-alerts-uk | The $BSKY airdrop is LIVE 🪂 claim yours before it ends → https://sky-airdrop-claim.net/live
@rose-sweet-98 | hello dear, i saw your comment and you seem very kind person. can we be friends? check my bio 🌹
@promo-blast | Promote your page to 1M+ active users. Fast, safe, cheap 🔥 link in bio!!
@wfh-wins-kayla | I made £4,300 this week working from home with one simple method, no experience needed 👉 https://quick-home-income.site/uk
@btc-signals-pro | 🟢 BTC just broke out. don't miss the next 100x gem 💎 join the VIP signals group https://moonsignals-vip.xyz/join
@mindset-millionaire-jj | Leadership is a MINDSET 💎 I went from burnt-out civil servant to 6 figures in 90 days. Free masterclass 👉 https://escape-the-9to5.online/masterclass
@nft-drops-daily | New NFT drop 🖼️ "Leaders of Tomorrow" collection. Only 500 minted, floor going up fast https://leadersnft.xyz/mint
@followback-frenzy | follow for follow? 🙏 #f4f #followback #bluesky
@essay-help-24 | Cheap essay writing 🎓 any subject, 24h delivery, 100% plagiarism free. WhatsApp +44 7700 900612
@fund-recovery-expert | lost funds to a scam? 🔐 our recovery experts can help get your crypto back. DM for free consultation
@promo-blast | Grow your audience organically 📣 we promote artists, creators & brands. DM for rates, results guaranteed!!
@uk-freebies-daily | 🎁 GIVEAWAY! first 100 people to click get a free £50 voucher https://free-voucher-uk.click/claim
@crypto-king-4421 | 💰 I turned £200 into £9,000 in 3 weeks with this app. not financial advice but 👀 https://profitapp-uk.top/join
@collab-with-ava | DM me for collaboration 🤝 paid promotion available
@debt-help-uk | Struggling with debt? 🏦 Our scheme can write off up to 80%! Check if you're eligible → https://debt-writeoff-now.site/check
"""

# Six accounts posting one slogan with small edits, within about an hour on day 2.
CAMPAIGN = r"""
@fairpay-now-sam t=26.2 L=4 | Real leadership = a fair pay deal for EVERY public servant. No more warm words, no more "we value you". Pay up. #PayUpNow #PublicServices
@kelly-payup t=26.3 L=3 | Real leadership = a fair pay deal for every public servant. No more warm words. No more "we value you". PAY UP #PayUpNow
@pauldfairpay t=26.5 L=5 | Real leadership means a fair pay deal for EVERY public servant. No more warm words, no more “we value you”. Pay up. #PayUpNow #PublicServices #NHS
@nina-frontline t=26.6 L=2 | real leadership = a fair pay deal for every public servant. no more warm words no more 'we value you'. pay up #PayUpNow
@rich-s-voice t=26.9 L=3 | Real leadership = a FAIR PAY DEAL for EVERY public servant. No more warm words, no more "we value you". Pay up. #PayUpNow #PublicServices 👇
@fairdeal-dani t=27.3 L=4 | Real leadership = fair pay for every public servant. No more warm words, no more "we value you". Pay up! #PayUpNow #PublicServices #LocalGov
"""

# Exact duplicates by the same account: a double tap, and a repost three days later.
DUPLICATES = r"""
@grumpyoldtaxpayer t=5.2 L=3 | Less managers, more frontline. Simple as.
@grumpyoldtaxpayer t=5.201 | Less managers, more frontline. Simple as.
@volunteer-ken t=20.4 L=6 | Leadership is about service. Serving the public, serving your staff, serving your community. Somewhere along the way we forgot that.
@volunteer-ken t=74.1 L=1 | Leadership is about service. Serving the public, serving your staff, serving your community. Somewhere along the way we forgot that.
"""

ONE_WORD = r"""
gen | Listening.
gen L=2 | Trust
gen | Courage.
cit | humility
gen | 💯
gen | 🙏🙏
cit | ❤️
"""

GROUPS: tuple[str, ...] = (
    COMMAND_AND_CONTROL,
    LISTENING,
    TRUST_THE_FRONT_LINE,
    WELLBEING,
    FUNDING,
    PLACE_AND_SYSTEM,
    COMMUNITY_POWER,
    RELATIONSHIPS,
    VALUES_AND_INTEGRITY,
    PARTNERSHIP,
    INNOVATION_AND_RISK,
    PURPOSE_AND_OUTCOMES,
    DEVELOPMENT,
    HYBRID_WORKING,
    MIXED_VOICES,
    OFF_TOPIC,
    OTHER_LANGUAGES,
    SPAM,
    CAMPAIGN,
    DUPLICATES,
    ONE_WORD,
)


# --------------------------------------------------------------------------------------
# Parsing the reply lines
# --------------------------------------------------------------------------------------

LINE_RE = re.compile(
    r"^(?P<indent> *)(?P<who>\S+)(?P<flags>(?: [A-Za-z]+(?:=[^\s|]+)?)*) \| (?P<text>.+)$"
)


@dataclass
class Reply:
    """One hand-written reply and, once built, everything the JSON needs about it."""

    who: str
    raw_text: str
    depth: int
    flags: dict[str, str]
    parent: Reply | None = None
    children: list[Reply] = field(default_factory=list)
    author: str = ""
    created: datetime = ROOT_TIME
    indexed: datetime = ROOT_TIME
    text: str = ""
    facets: list[dict[str, Any]] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    likes: int = 0
    reposts: int = 0
    quotes: int = 0
    bookmarks: int = 0
    uri: str = ""
    cid: str = ""
    root_author_like: str | None = None


def parse_groups(groups: tuple[str, ...]) -> list[Reply]:
    """Turn the indented reply lines into a forest of top-level replies."""
    top: list[Reply] = []
    for block in groups:
        stack: list[Reply] = []
        for line in block.splitlines():
            if not line.strip():
                continue
            m = LINE_RE.match(line)
            if not m:
                raise ValueError(f"bad reply line: {line!r}")
            indent = len(m["indent"])
            if indent % 2:
                raise ValueError(f"odd indent: {line!r}")
            depth = indent // 2 + 1
            flags: dict[str, str] = {}
            for flag in m["flags"].split():
                key, _, value = flag.partition("=")
                flags[key] = value
            node = Reply(who=m["who"], raw_text=m["text"], depth=depth, flags=flags)
            del stack[depth - 1 :]
            if depth == 1:
                top.append(node)
            else:
                if len(stack) != depth - 1:
                    raise ValueError(f"reply without a parent line: {line!r}")
                node.parent = stack[-1]
                stack[-1].children.append(node)
            stack.append(node)
    return top


def walk(nodes: list[Reply]) -> list[Reply]:
    """All replies, depth first, in written order."""
    out: list[Reply] = []
    for node in nodes:
        out.append(node)
        out.extend(walk(node.children))
    return out


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A Bluesky profile view (app.bsky.actor.defs#profileViewBasic)."""

    handle: str
    name: str
    did: str
    avatar: str | None
    created_at: str

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"did": self.did, "handle": self.handle}
        if self.name:
            out["displayName"] = self.name
        if self.avatar:
            out["avatar"] = self.avatar
        out["labels"] = []
        out["createdAt"] = self.created_at
        return out


def b32(data: str) -> str:
    """Lowercase unpadded base32 of a sha256 digest (52 characters)."""
    digest = hashlib.sha256(data.encode()).digest()
    return base64.b32encode(digest).decode().lower().rstrip("=")


def iso(moment: datetime) -> str:
    """Bluesky's timestamp style: UTC, milliseconds, Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def make_account(handle: str, name: str, role: str, rng: random.Random) -> Account:
    did = "did:plc:" + b32("replyscope-demo:did:" + handle)[:24]
    if role in ("spam", "camp"):
        # New accounts, created in the weeks before the thread.
        start, days = datetime(2026, 2, 3, tzinfo=UTC), 26
        has_avatar = rng.random() < (0.35 if role == "spam" else 0.7)
    elif rng.random() < 0.4:
        # The November 2024 wave of sign-ups.
        start, days = datetime(2024, 11, 6, tzinfo=UTC), 25
        has_avatar = rng.random() < 0.88
    else:
        start, days = datetime(2023, 5, 1, tzinfo=UTC), 975
        has_avatar = rng.random() < 0.88
    created = start + timedelta(seconds=rng.uniform(0, days * 86400))
    avatar = None
    if has_avatar or handle == ROOT_HANDLE:
        blob = "bafkrei" + b32("replyscope-demo:avatar:" + handle)
        avatar = f"https://cdn.bsky.app/img/avatar/plain/{did}/{blob}@jpeg"
    return Account(handle=handle, name=name, did=did, avatar=avatar, created_at=iso(created))


def generated_people(rng: random.Random, taken: set[str]) -> list[tuple[str, str]]:
    """Ordinary accounts for the `gen` pool: handles and display names people pick."""
    out: list[tuple[str, str]] = []
    while len(out) < GEN_POOL_SIZE:
        first, last = rng.choice(FIRST), rng.choice(SURNAMES)
        style = rng.random()
        if style < 0.25:
            handle = f"{first}{last}"
        elif style < 0.4:
            handle = f"{first}-{last}"
        elif style < 0.55:
            handle = f"{first}{last[0]}"
        elif style < 0.7:
            handle = f"{first}{rng.randint(2, 99)}"
        elif style < 0.8:
            handle = f"{first}_{last}"
        elif style < 0.9:
            handle = f"{first}-{rng.choice(HOBBIES)}"
        else:
            handle = f"{first[0]}{last}{rng.randint(1, 9)}"
        handle += ".bsky.social"
        if handle in taken:
            continue
        taken.add(handle)
        look = rng.random()
        if look < 0.33:
            name = f"{first.title()} {last.title()}"
        elif look < 0.53:
            name = first.title()
        elif look < 0.68:
            name = f"{first.title()} {last[0].upper()}."
        elif look < 0.77:
            name = first
        elif look < 0.89:
            name = f"{first.title()} {rng.choice(NAME_EMOJI)}"
        elif look < 0.97:
            name = f"{first.title()} ({rng.choice(PRONOUNS)})"
        else:
            name = ""
        out.append((handle, name))
    return out


def build_accounts(rng: random.Random) -> tuple[dict[str, Account], dict[str, list[str]]]:
    """Every account by handle, and each role pool as a list of handles."""
    root = make_account(ROOT_HANDLE, ROOT_NAME, "root", rng)
    accounts = {
        ROOT_HANDLE: Account(
            ROOT_HANDLE, ROOT_NAME, root.did, root.avatar, "2024-11-12T10:41:07.318Z"
        )
    }
    pools: dict[str, list[str]] = {}
    for role, entries in POOLS.items():
        pools[role] = []
        for entry in entries:
            short, _, name = entry.partition("|")
            handle = short + ".bsky.social"
            if handle in accounts:
                raise ValueError(f"duplicate handle {handle}")
            accounts[handle] = make_account(handle, name, role, rng)
            pools[role].append(handle)
    pools["gen"] = []
    for handle, name in generated_people(rng, set(accounts)):
        accounts[handle] = make_account(handle, name, "gen", rng)
        pools["gen"].append(handle)
    return accounts, pools


# --------------------------------------------------------------------------------------
# Who wrote what, when
# --------------------------------------------------------------------------------------

# Random picks favour a few "regulars" in each pool (so some people post several
# times) and cap how often any one account is picked.
REGULAR_SHARE = 0.12
REGULAR_WEIGHT = 4.0
MAX_PICKS = 7


def ancestors(node: Reply) -> list[Reply]:
    out = []
    cur = node.parent
    while cur is not None:
        out.append(cur)
        cur = cur.parent
    return out


def assign_authors(replies: list[Reply], pools: dict[str, list[str]], rng: random.Random) -> None:
    fixed = {r.who[1:] + ".bsky.social" for r in replies if r.who.startswith("@")}
    weighted: dict[str, tuple[list[str], list[float]]] = {}
    for role in sorted(set(pools) | set(POOL_EXTRA)):
        members = [h for h in pools.get(role, []) if h not in fixed]
        for extra in POOL_EXTRA.get(role, ()):
            members += [h for h in pools[extra] if h not in fixed]
        rng.shuffle(members)
        regulars = max(1, round(len(members) * REGULAR_SHARE))
        weights = [REGULAR_WEIGHT if rank < regulars else 1.0 for rank in range(len(members))]
        weighted[role] = (members, weights)
    picked: Counter[str] = Counter()
    for node in replies:
        if node.who.startswith("@"):
            node.author = node.who[1:] + ".bsky.social"
        elif node.who == "^":
            if node.parent is None:
                raise ValueError(f"'^' needs a parent: {node.raw_text!r}")
            node.author = node.parent.author
        elif node.who == "^^":
            if node.parent is None:
                raise ValueError(f"'^^' needs a parent: {node.raw_text!r}")
            grand = node.parent.parent
            node.author = grand.author if grand else ROOT_HANDLE
        else:
            if node.who not in weighted:
                raise ValueError(f"unknown role {node.who!r}")
            members, weights = weighted[node.who]
            avoid = {a.author for a in ancestors(node)} | {ROOT_HANDLE}
            avoid |= {c.author for c in (node.parent.children if node.parent else []) if c.author}
            choices = [
                (h, w)
                for h, w in zip(members, weights, strict=True)
                if h not in avoid and picked[h] < MAX_PICKS
            ]
            node.author = rng.choices([h for h, _ in choices], [w for _, w in choices])[0]
            picked[node.author] += 1


def top_level_offset(rng: random.Random, early: bool = False) -> timedelta:
    """Most replies in the first day, then a long tail; fewer in the small hours (UK).

    Well-liked replies (`early`) come from the first day: the answers people like most
    are the ones posted while the thread is hot.
    """
    while True:
        if early or rng.random() < 0.8:
            hours = rng.lognormvariate(math.log(2.3), 1.05)
        else:
            hours = math.exp(rng.uniform(math.log(10), math.log(143)))
        if not 0.02 < hours < 143.5 or (early and hours > 20):
            continue
        clock = (9 + hours) % 24
        if clock < 6.5 and rng.random() < 0.7:
            continue
        return timedelta(hours=hours)


def assign_times(replies: list[Reply], rng: random.Random) -> None:
    end = ROOT_TIME + WINDOW
    for node in replies:
        parent_time = node.parent.created if node.parent else ROOT_TIME
        if "t" in node.flags:
            when = ROOT_TIME + timedelta(hours=float(node.flags["t"]), seconds=rng.uniform(0, 40))
        elif node.parent is None:
            early = int(node.flags.get("L", "0")) >= 15
            when = ROOT_TIME + top_level_offset(rng, early)
        elif "dt" in node.flags:
            minutes = float(node.flags["dt"]) * rng.uniform(0.7, 1.3)
            when = parent_time + timedelta(minutes=minutes)
        else:
            minutes = rng.lognormvariate(math.log(38), 1.2)
            when = parent_time + timedelta(minutes=max(minutes, 0.6))
            if when > end - timedelta(minutes=5):
                room = (end - parent_time).total_seconds()
                when = parent_time + timedelta(seconds=room * rng.uniform(0.05, 0.9))
        when = when.replace(microsecond=rng.randrange(0, 1000) * 1000)
        if node.parent and when <= parent_time:
            raise ValueError(f"reply before its parent: {node.raw_text!r}")
        node.created = when
        node.indexed = when + timedelta(milliseconds=rng.randint(150, 4000))


# --------------------------------------------------------------------------------------
# Text, links, mentions, hashtags
# --------------------------------------------------------------------------------------

URL_RE = re.compile(r"https?://[^\s]+")
MENTION_RE = re.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9][a-zA-Z0-9.-]*\.[a-zA-Z]{2,})")
TAG_RE = re.compile(r"(?:^|(?<=\s))[#＃]([^\s#＃]+)")
TRAILING = ".,;:!?)'\"…"


def short_url(url: str) -> str:
    """The Bluesky app's display form of a link (toShortUrl)."""
    parts = urlsplit(url)
    path = "" if parts.path == "/" else parts.path
    if parts.query:
        path += "?" + parts.query
    if parts.fragment:
        path += "#" + parts.fragment
    if len(path) > 15:
        return parts.netloc + path[:13] + "..."
    return parts.netloc + path


def byte_span(text: str, start: int, end: int) -> dict[str, int]:
    return {"byteEnd": len(text[:end].encode()), "byteStart": len(text[:start].encode())}


def render_text(node: Reply, accounts: dict[str, Account]) -> None:
    """Final text (links shortened) and its rich-text facets."""
    raw = node.raw_text.replace("\\n", "\n")
    if node.parent is not None:
        raw = raw.replace("{parent}", node.parent.author)
    text = ""
    spans: list[tuple[int, int, dict[str, Any]]] = []
    pos = 0
    for m in URL_RE.finditer(raw):
        url = m.group(0).rstrip(TRAILING)
        text += raw[pos : m.start()]
        shown = short_url(url)
        spans.append(
            (
                len(text),
                len(text) + len(shown),
                {"$type": "app.bsky.richtext.facet#link", "uri": url},
            )
        )
        text += shown
        pos = m.start() + len(url)
    text += raw[pos:]
    link_ranges = [(s, e) for s, e, _ in spans]
    for m in MENTION_RE.finditer(text):
        handle = m.group(1).rstrip(".")
        if handle not in accounts:
            raise ValueError(f"mention of an unknown account: {handle}")
        start = m.start(1) - 1
        feature = {"$type": "app.bsky.richtext.facet#mention", "did": accounts[handle].did}
        spans.append((start, m.start(1) + len(handle), feature))
    for m in TAG_RE.finditer(text):
        tag = m.group(1).rstrip(TRAILING)
        start = m.start(1) - 1
        if not tag or tag.isdigit() or any(s <= start < e for s, e in link_ranges):
            continue
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
        spans.append((start, m.start(1) + len(tag), feature))
    spans.sort(key=lambda span: span[0])
    node.text = text
    node.facets = [{"features": [f], "index": byte_span(text, s, e)} for s, e, f in spans]
    node.langs = node.flags.get("lang", "en").split("+")
    if len(text) > 300:
        raise ValueError(f"reply longer than Bluesky's 300 graphemes: {text[:60]!r}")


# --------------------------------------------------------------------------------------
# Engagement and identifiers
# --------------------------------------------------------------------------------------


def assign_engagement(replies: list[Reply], rng: random.Random) -> None:
    for node in replies:
        if "L" in node.flags:
            likes = int(node.flags["L"])
        elif node.who == "spam":
            likes = 0
        else:
            zero_share = 0.38 if node.depth == 1 else 0.52
            likes = 0 if rng.random() < zero_share else int(rng.paretovariate(1.45))
            likes = int(likes * (0.55 + min(len(node.raw_text), 280) / 320))
            if (node.created - ROOT_TIME) > timedelta(hours=36):
                likes //= 2
            likes = min(likes, 45)
        node.likes = likes
        if node.who == "spam":
            node.reposts = node.quotes = node.bookmarks = 0
            continue
        if likes == 0:
            node.reposts = 1 if rng.random() < 0.02 else 0
        else:
            node.reposts = int(likes * rng.uniform(0.03, 0.16) + rng.random() * 0.8)
        if likes >= 40:
            node.quotes = rng.randint(0, max(1, likes // 60))
        elif likes >= 8:
            node.quotes = 1 if rng.random() < 0.12 else 0
        else:
            node.quotes = 0
        node.bookmarks = int(likes * rng.uniform(0.0, 0.12))


S32 = "234567abcdefghijklmnopqrstuvwxyz"


def tid(moment: datetime, rng: random.Random) -> str:
    """An atproto TID (13 base32-sortable characters) for a moment."""
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond + rng.randrange(1000)
    value = (micros << 10) | rng.randrange(1024)
    chars = []
    for _ in range(13):
        chars.append(S32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def post_ids(did: str, moment: datetime, text: str, rng: random.Random) -> tuple[str, str]:
    uri = f"at://{did}/app.bsky.feed.post/{tid(moment, rng)}"
    return uri, "bafyrei" + b32(f"replyscope-demo:cid:{uri}:{text}")


# --------------------------------------------------------------------------------------
# The getPostThread document
# --------------------------------------------------------------------------------------


@dataclass
class Root:
    uri: str
    cid: str
    facets: list[dict[str, Any]]
    indexed: datetime


def post_view(
    node: Reply, accounts: dict[str, Account], root: Root, parent: tuple[str, str]
) -> dict[str, Any]:
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": iso(node.created)}
    if node.facets:
        record["facets"] = node.facets
    record["langs"] = node.langs
    record["reply"] = {
        "parent": {"cid": parent[1], "uri": parent[0]},
        "root": {"cid": root.cid, "uri": root.uri},
    }
    record["text"] = node.text
    return {
        "uri": node.uri,
        "cid": node.cid,
        "author": accounts[node.author].view(),
        "record": record,
        "bookmarkCount": node.bookmarks,
        "replyCount": len(node.children),
        "repostCount": node.reposts,
        "likeCount": node.likes,
        "quoteCount": node.quotes,
        "indexedAt": iso(node.indexed),
        "labels": [],
    }


def ordered(children: list[Reply], parent_author: str, rng: random.Random) -> list[Reply]:
    """Roughly the app's order: the parent's own follow-ups first, then by engagement."""
    scored = [(c, c.likes * rng.uniform(0.8, 1.25) + rng.random()) for c in children]
    scored.sort(key=lambda cs: (cs[0].author != parent_author, -cs[1]))
    return [c for c, _ in scored]


def thread_view(
    node: Reply,
    accounts: dict[str, Account],
    root: Root,
    parent: tuple[str, str],
    rng: random.Random,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": post_view(node, accounts, root, parent),
    }
    if node.children:
        view["replies"] = [
            thread_view(child, accounts, root, (node.uri, node.cid), rng)
            for child in ordered(node.children, node.author, rng)
        ]
    view["threadContext"] = (
        {"rootAuthorLike": node.root_author_like} if node.root_author_like else {}
    )
    return view


def build(rng: random.Random) -> tuple[dict[str, Any], list[Reply], dict[str, Account]]:
    accounts, pools = build_accounts(rng)
    top = parse_groups(GROUPS)
    replies = walk(top)
    assign_authors(replies, pools, rng)
    assign_times(replies, rng)
    for node in replies:
        render_text(node, accounts)
    assign_engagement(replies, rng)

    root_account = accounts[ROOT_HANDLE]
    root_uri, root_cid = post_ids(root_account.did, ROOT_TIME, ROOT_TEXT, rng)
    root_node = Reply(who="@root", raw_text=ROOT_TEXT, depth=0, flags={})
    render_text(root_node, accounts)
    root = Root(root_uri, root_cid, root_node.facets, ROOT_TIME + timedelta(milliseconds=412))
    for node in replies:
        node.uri, node.cid = post_ids(accounts[node.author].did, node.created, node.text, rng)
        if "oplike" in node.flags:
            liked = node.created + timedelta(minutes=rng.uniform(4, 180))
            node.root_author_like = f"at://{root_account.did}/app.bsky.feed.like/{tid(liked, rng)}"
    uris = [n.uri for n in replies] + [root_uri]
    if len(set(uris)) != len(uris):
        raise ValueError("duplicate post uri")

    # The root account's own replies come first, then the rest by engagement.
    first = [n for n in top if n.author == ROOT_HANDLE]
    rest = ordered([n for n in top if n.author != ROOT_HANDLE], ROOT_HANDLE, rng)
    root_likes = 1843
    root_record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "createdAt": iso(ROOT_TIME),
        "facets": root.facets,
        "langs": ["en"],
        "text": ROOT_TEXT,
    }
    thread = {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": {
            "uri": root_uri,
            "cid": root_cid,
            "author": root_account.view(),
            "record": root_record,
            "bookmarkCount": 96,
            "replyCount": len(top),
            "repostCount": 412,
            "likeCount": root_likes,
            "quoteCount": 57,
            "indexedAt": iso(root.indexed),
            "labels": [],
        },
        "replies": [
            thread_view(n, accounts, root, (root_uri, root_cid), rng)
            for n in sorted(first, key=lambda n: n.created) + rest
        ],
        "threadContext": {},
    }
    return {"thread": thread, "_replyscope_demo": DEMO_NOTE}, replies, accounts


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------


def summary(replies: list[Reply]) -> str:
    depths = Counter(r.depth for r in replies)
    langs = Counter("+".join(r.langs) for r in replies)
    likes = sorted(r.likes for r in replies)
    cuts = statistics.quantiles(likes, n=100, method="inclusive")
    day_one = sum(r.created - ROOT_TIME <= timedelta(hours=24) for r in replies)
    nested = sum(r.depth > 1 for r in replies)
    last = max(r.created for r in replies)
    lines = [
        f"replies: {len(replies)} ({len(replies) - nested} top-level, {nested} replies to "
        f"replies = {nested / len(replies):.0%})",
        f"distinct authors: {len({r.author for r in replies})}",
        "depth histogram: " + ", ".join(f"{d}: {n}" for d, n in sorted(depths.items())),
        "languages: " + ", ".join(f"{k}: {n}" for k, n in langs.most_common()),
        "likes: "
        + ", ".join(f"p{q}={cuts[q - 1]:g}" for q in (25, 50, 75, 90, 95, 99))
        + f", max={likes[-1]}, zero={likes.count(0)}, >=10: {sum(v >= 10 for v in likes)}, "
        f">=100: {sum(v >= 100 for v in likes)}",
        f"within 24 h: {day_one / len(replies):.0%}; last reply {iso(last)}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    doc, replies, _ = build(random.Random(SEED))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    print(summary(replies))


if __name__ == "__main__":
    main()
