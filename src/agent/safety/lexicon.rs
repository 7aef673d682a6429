//! The word gate's built-in patterns, per category, in English and Russian.
//!
//! The pattern language is described in `pattern`. Patterns name an act *and* what it is
//! done to ("make … bomb", "kill … neighbour"), because the single words are everyday
//! home-hub words: people kill the lights, crack eggs, shoot videos and go to hackathons.
//! The strict tier adds the single risky words for households that want them.
//!
//! Decided and tested in the corpus: taking back one's *own* things is allowed
//! ("взломать пароль от своего wifi", "crack my own wifi password"): the exception words
//! `own`/`свой` void the patterns about systems and passwords, never the ones about people
//! (a neighbour's, an ex's), which block on their own.

/// One category: a name callers branch on, its patterns, and its strict-tier patterns.
pub(crate) struct Category {
    /// Stable name, written to the audit log.
    pub(crate) name: &'static str,
    /// Always checked when the gate is on.
    pub(crate) normal: &'static [&'static str],
    /// Checked only in strict mode.
    pub(crate) strict: &'static [&'static str],
}

/// The category of malicious software and breaking into others' systems; `block_malicious`
/// switches it.
pub(crate) const MALWARE: &str = "malware";

/// Built-in categories, checked in this order.
pub(crate) const CATEGORIES: &[Category] = &[
    Category {
        name: MALWARE,
        normal: &[
            "write|writing|create|creating|make|making|code|coding|build|develop|generate|program|напис*|напиш*|созда*|сдела*|разработа*|накода* \
             malware|virus|keylogger|ransomware|trojan|rootkit|botnet|spyware|stealer|backdoor|вирус|вредонос*|кейлоггер|кейлогер|троян|шифровальщик|бэкдор|стилер|ботнет|руткит \
             !scan|scanner|scanning|antivirus|protection|test|free|проверк*|сканер|сканирован*|антивирус*|защит*",
            "steal|harvest|dump|phish|украсть|укради|украду|своровать|воровать|угнать|угони|слить \
             password|passwords|credentials|logins|пароль|пароли|паролей|логины|учетки|учетные|аккаунт* \
             !protect|prevent|defend|защит*|защищ*",
            "steal|украсть|укради|своровать credit|card|cards|=карт|карты|карту|картой",
            "hack|hacking|взлом*|breach \
             account|accounts|email|mail|instagram|facebook|=vk|=вк|whatsapp|telegram|phone|camera|webcam|server|website|site|bank|network|system|systems|grades|pentagon|government|police|military|аккаунт*|почт*|страниц*|телефон*|камер*|сервер*|сайт*|банк*|систем*|сеть|сети|правительств*|полици* \
             !life|own|свой|своего|своей|свою|своем|своих ~5",
            "hack|hacking|crack|cracking|взлом* wifi|вайфай|password|passwords|router|пароль|пароли|роутер* \
             !own|свой|своего|своей|свою|своем|своих",
            "hack|hacking|взлом* \
             neighbor|neighbour|neighbors|neighbours|someone|somebody|=ex|girlfriend|boyfriend|wife|husband|boss|coworker|colleague|сосед*|чужой|чужую|чужие|чужого|бывш*|девушки|парня|жены|мужа|начальника|коллег*",
            "bypass|обойти|обход authentication|2fa|login|двухфакторн*|аутентификац*|авторизац* \
             !own|свой|своего|своей|свою|своем",
            "launch|start|perform|run|order|устроить|сделать|запустить|заказать ddos|ддос*|дудос* !protect|protection|защит*",
            "ddos|ддос*|дудос* someone|website|site|server|сайт*|сервер*|сосед* !protect|defend|mitigate|prevent|защит*|защищ*",
            "perform|do|run|use|write|exploit|провести|сделать|использовать|написать sql|скл injection|injections|инъекц* !protect|prevent|defend|защит*|предотвра*",
            "create|make|write|send|set|сделать|создать|написать|отправить|сделай|создай|напиши phishing|фишинг* !filter|protection|awareness|training|report|защит*|фильтр*|жалоб*",
        ],
        strict: &[
            "hack|hacking|hacker|exploit|exploits|malware|ransomware|keylogger|phishing|ddos|cracking|взлом*|эксплойт*|эксплоит*|вредонос*|фишинг*|ддос*|кряк*",
        ],
    },
    Category {
        name: "weapons",
        normal: &[
            "make|making|build|assemble|craft|create|print|сделать|сделай|собрать|собери|изготов*|смастер*|создать \
             bomb|bombs|explosive|explosives|grenade|napalm|molotov|detonator|=ied|бомбу|бомба|бомбы|бомб|взрывчатк*|взрывн*|=гранату|напалм|молотов*|детонатор* \
             !bath|seed|photo|ванн*|фото",
            "recipe|instructions|blueprint|blueprints|рецепт|инструкци*|чертеж* bomb|bombs|explosive|explosives|napalm|бомбу|бомбы|взрывчатк*|напалм* !bath|seed|ванн* ~4",
            "make|build|assemble|print|printed|сделать|собрать|изготов* \
             gun|guns|firearm|pistol|rifle|silencer|suppressor|пистолет*|оружи*|обрез|глушител* \
             !safe|cabinet|rack|holder|toy|nerf|water|glue|heat|massage|сейф*|шкаф*|игрушечн*|водян*|клея|клеев*|массаж*",
            "buy|get|купить|достать gun|guns|firearm|weapon|weapons|пистолет*|оружи*|ствол \
             illegally|illegal|without|unregistered|untraceable|darknet|darkweb|нелегальн*|незаконн*|даркнет*|без",
            "make|produce|extract|synthesize|synthesise|сделать|получить|синтезир* ricin|sarin|anthrax|=vx|рицин|зарин|иприт",
            "make|produce|сделать|получить nerve|mustard|poison|poisonous|toxic|chlorine|нервно|ядовит*|отравляющ*|хлор gas|agent|газ|вещество !sure|sensor|detector|alarm|датчик*",
        ],
        strict: &[
            "bomb|bombs|explosive|explosives|weapon|weapons|gun|guns|бомбу|бомба|взрывчатк*|оружи*|пистолет*",
        ],
    },
    Category {
        name: "self_harm",
        normal: &[
            "kill|killing|harm|harming|hang|hanging|убить|убью|убей|навредить|покончить myself|self|себя|собой|себе !laughing ~3",
            "want|wanna|ready =die|dying !hair|color|colour|laughing|boredom|embarrassment|cringe ~3",
            "хочу|хочется|хотелось|собираюсь|готов|готова умереть|сдохнуть ~3",
            "не хочу|хочется жить !в|во|на|здесь|тут|там|рядом|около|с|со|у ~3",
            "don|not want|wanna live|living !in|at|here|there|near|with|on|like|so|close|next ~4",
            "end|ending my life ~3",
            "end it all ~2",
            "закончить|покончить жизнь|жизнью ~3",
            "commit|how|painless|ways|methods|совершить|как|способ*|безболезнен* suicide|суицид*|самоубийств* !prevention|prevent|hotline|help|awareness|профилактик*|помощ*|довери* ~4",
            "suicide|суицид*|самоубийств* how|как|способ*|methods|ways !prevention|prevent|hotline|help|awareness|профилактик*|помощ*|довери* ~3",
            "how|many|сколько pills|таблет* overdose|die|умереть|передоз* ~5",
            "как|хочу повеситься|повешусь ~3",
            "вскрыть вены",
            "want|wanna|going|хочу|хочется|собираюсь jump|прыгнуть|спрыгнуть|сброситься bridge|roof|building|моста|крыши|многоэтажки|окна ~6",
        ],
        strict: &["suicide|суицид*|самоубийств*"],
    },
    Category {
        name: "violence",
        normal: &[
            "kill|killing|murder|stab|shoot|strangle|poison|убить|убей|убью|зарезать|застрелить|пристрелить|задушить|отравить|избить|избей \
             person|people|humans|someone|somebody|=him|=her|neighbor|neighbour|neighbors|wife|husband|boss|child|kid|kids|baby|=man|woman|family|brother|sister|mother|father|=mom|=dad|parents|friend|girlfriend|boyfriend|teacher|classmate|человек*|людей|кого|соседа|соседку|соседей|жену|мужа|начальника|ребенка|детей|семью|мать|отца|брата|сестру \
             !email|message|text|photo|video|picture|light|lights|lamp|room|music|monitor|tv|radio|speaker|noise|alarm|process|app|fan|heater|письмо|сообщени*|свет|лампу|комнат* ~4",
            "убить|убийство не попасться|спалиться|найдут ~5",
            "hurt|harm|injure|навредить|покалечить someone|somebody|people|person|кому|человеку|людям ~3",
            "beat|beating up someone|somebody|wife|husband|neighbor|neighbour|brother|sister|child|kid|=man|woman|=him|=her|people|girlfriend|boyfriend ~4",
            "plan|planning|organize|organise|commit|устроить|организовать|спланировать|совершить \
             shooting|massacre|terror*|теракт*|стрельб*|резн* !photo|video|фото|видео|game|игр* ~4",
        ],
        strict: &["kill|murder|убить|убийств*"],
    },
    Category {
        name: "drugs",
        normal: &[
            "make|making|cook|cooking|synthesize|synthesise|produce|extract|сварить|варить|синтезир*|приготовить|сделать|изготовить|получить \
             meth|methamphetamine|cocaine|heroin|=lsd|mdma|ecstasy|fentanyl|amphetamine|=dmt|=ghb|=мет|метамфетамин|кокаин|героин|=лсд|мдма|экстази|фентанил|амфетамин|мефедрон|наркотик*|наркоту|спайс",
            "buy|order|купить|заказать meth|cocaine|heroin|fentanyl|наркот*|кокаин|героин|мефедрон|закладк*",
        ],
        strict: &["drugs|cocaine|heroin|meth|наркот*|кокаин|героин"],
    },
    Category {
        name: "harassment",
        normal: &[
            "track|stalk|stalking|spy|spying|monitor|следить|шпионить|отслеживать|отследить|прослушивать|прослушать \
             wife|husband|girlfriend|boyfriend|partner|=ex|neighbor|neighbour|coworker|colleague|someone|somebody|=her|=him|женой|жену|мужем|мужа|девушк*|парнем|парня|бывш*|сосед*|коллег*|кем \
             !flight|package|parcel|order|period|cycle|sleep|progress|steps|workout|weight|homework|рейс*|посылк*|заказ*|цикл* ~4",
            "secretly|тайно|незаметно read|читать|прочитать|прочесть messages|texts|sms|whatsapp|telegram|email|emails|chats|переписк*|сообщени*|смс|почт*",
            "read|читать|прочитать|прочесть someone|somebody|чужую|чужие|чужой messages|texts|sms|whatsapp|telegram|email|emails|chats|переписк*|сообщени*|смс|почт*",
            "hidden|secret|secretly|скрыт*|спрят*|тайн* camera|cam|film|record|снимать|камер* \
             neighbor|neighbour|guest|guests|bathroom|shower|changing|locker|сосед*|гост*|душе|душевой|туалет*|раздевалк* ~5",
            "read|читать|прочитать|прочесть messages|texts|sms|whatsapp|chats|переписк*|сообщени*|смс secretly|тайно|незаметно|without !glasses|очк* ~6",
            "dox|doxx|doxing|doxxing|доксинг|деанон*|сдеанонить",
            "find|узнать|найти|вычислить where|где lives|живет|живут ~5",
            "вычислить по =ip|айпи ~2",
            "harass|bully|intimidate|threaten|травить|затравить|запугать|угрожать|преследовать \
             someone|somebody|neighbor|neighbour|=ex|=her|=him|coworker|colleague|сосед*|бывш*|коллег*|девушк*|парня|жену|мужа ~4",
            "write|send|напиши|написать|отправь|отправить threat|threats|threatening|угроз*|угрожающ*",
            "kill|убей|убейся yourself|himself|herself|yourselves ~2",
        ],
        strict: &["stalk|stalking|spy|spying|слежк*|шпион*"],
    },
];
