"""Harmless synthetic text posts and listings for the demo, in seven languages and scripts.

Every post starts with a "simulated example" marker in its own language
and uses placeholders (``[PROTECTED GROUP]``, ``example.invalid``) where
real abuse would have a slur, a threat or a link: it has the *shape* of the
work (Latin, Arabic and CJK scripts, emoji with skin tones, ZWJ sequences
and flags) and nothing harmful. Same ``random.Random`` state, same text.
Synthetic pictures and videos are :mod:`desktop.demo.synth`.
"""

from __future__ import annotations

import random

#: Languages the text generator writes in, with the script each exercises.
LANGUAGES: dict[str, str] = {
    "en": "Latin",
    "es": "Latin",
    "fr": "Latin",
    "ar": "Arabic",
    "zh": "Han",
    "ja": "Han+Kana",
    "emoji": "Latin+Emoji",
}

#: "This is a simulated example", per language: every post starts with it.
MARKER = {
    "en": "[simulated example]",
    "es": "[ejemplo simulado]",
    "fr": "[exemple simulé]",
    "ar": "[مثال محاكى]",
    "zh": "【模拟示例】",
    "ja": "［模擬例］",
}

_GROUP = {
    "en": "[PROTECTED GROUP]", "es": "[GRUPO PROTEGIDO]", "fr": "[GROUPE PROTÉGÉ]",
    "ar": "[فئة محمية]", "zh": "[受保护群体]", "ja": "[保護対象グループ]",
}

# Violating placeholders per category and language. Placeholders stand where
# real abuse would be; nothing here is a real slur, threat or description.
_VIOLATING: dict[str, dict[str, tuple[str, ...]]] = {
    "harassment": {
        "en": ("{target} nobody here wants you around. log off and stay off.",
               "{target} I'll keep posting your old photos in every thread until you leave.",
               "everyone look at {target} lol what a loser, pile on"),
        "es": ("{target} nadie te quiere aquí, vete del grupo de una vez.",),
        "fr": ("{target} personne ne veut de toi ici, dégage du groupe.",),
        "ar": ("{target} لا أحد يريدك هنا، اخرج من المجموعة ولا تعد.",),
        "zh": ("{target} 这里没人欢迎你，赶紧退群吧。",),
        "ja": ("{target} もうこのスレに来ないで。みんな迷惑してる。",),
    },
    "hate_speech": {
        "en": ("you people from {group} are all the same, go back where you came from.",
               "{group} should not be allowed in our neighbourhood. share if you agree."),
        "es": ("la gente de {group} no pertenece a este país.",),
        "fr": ("les gens de {group} n'ont rien à faire ici.",),
        "ar": ("كل {group} متشابهون ولا مكان لهم هنا.",),
        "zh": ("所有{group}都一样，不配待在这里。",),
        "ja": ("{group}の人たちはこの街から出ていけ。",),
    },
    "violent_graphic": {
        "en": ("caption on a reposted clip: 'watch till the end' (graphic placeholder, no real footage)",
               "[placeholder for a description of a violent injury - no real content]",
               "threat placeholder: 'you will regret this tomorrow, I know where you live' {target}"),
        "es": ("mira el vídeo hasta el final (marcador de contenido gráfico, sin imágenes reales)",),
        "fr": ("regardez jusqu'à la fin (contenu graphique fictif, aucune image réelle)",),
        "ar": ("شاهد المقطع حتى النهاية (محتوى عنيف افتراضي، لا توجد لقطات حقيقية)",),
        "zh": ("看到最后（模拟血腥内容占位符，无真实画面）",),
        "ja": ("最後まで見て（模擬の暴力的コンテンツ、実際の映像なし）",),
    },
    "self_harm": {
        "en": ("[placeholder: post expressing hopelessness and a wish to disappear"
               " - practise the wellbeing escalation path]",
               "[placeholder: post that appears to describe self-injury - no real content]"),
        "es": ("[marcador: publicación que expresa desesperanza - practique la derivación de bienestar]",),
        "fr": ("[texte fictif exprimant un profond désespoir - suivre la procédure de bien-être]",),
        "ar": ("[نص افتراضي يعبّر عن اليأس - اتبع مسار الدعم والرعاية]",),
        "zh": ("［占位文本：表达绝望情绪的帖子——请按关怀流程处理］",),
        "ja": ("［プレースホルダー：絶望感を表す投稿 — ウェルビーイング対応の練習用］",),
    },
    "adult_nudity": {
        "en": ("link in bio for my 18+ page 🔞 (placeholder, no explicit content)",
               "[placeholder: caption of an explicit image - no real content]"),
        "es": ("enlace en mi perfil a mi página +18 🔞 (marcador, sin contenido explícito)",),
        "fr": ("lien dans la bio vers ma page 18+ 🔞 (texte fictif)",),
        "ar": ("الرابط في الملف الشخصي لصفحتي +18 🔞 (نص افتراضي)",),
        "zh": ("主页链接有18+内容 🔞（占位文本，无露骨内容）",),
        "ja": ("プロフのリンクから18禁ページへ 🔞（プレースホルダー）",),
    },
    "child_safety": {
        "en": ("[placeholder: conversation flagged by the age-signal classifier for lead review - no real content]",
               "[placeholder: account reported for contacting minors - details withheld in the demo]"),
        "es": ("[marcador: conversación marcada por señales de edad - sin contenido real]",),
        "fr": ("[texte fictif : conversation signalée par le détecteur d'âge - aucun contenu réel]",),
        "ar": ("[نص افتراضي: محادثة رصدها مصنّف مؤشرات العمر - لا يوجد محتوى حقيقي]",),
        "zh": ("［占位文本：年龄信号分类器标记的对话——无真实内容］",),
        "ja": ("［プレースホルダー：年齢シグナル分類器が検出した会話 — 実際の内容なし］",),
    },
    "spam": {
        "en": ("FOLLOW BACK 4 FOLLOW BACK!!! 1000 free followers at {url}",
               "best prices best prices best prices >>> {url} <<< DM me",
               "Earn $500/day from home, no experience needed!!! {url}"),
        "es": ("¡¡GANA SEGUIDORES GRATIS!! entra ya en {url} 🔥",),
        "fr": ("GAGNEZ 500€ PAR JOUR depuis chez vous !!! {url}",),
        "ar": ("اربح متابعين مجاناً الآن!!! ادخل {url} 🔥🔥",),
        "zh": ("加微信领取免费红包！！！{url} 🧧🧧",),
        "ja": ("今だけ！フォロワー1000人無料プレゼント {url} 🔥",),
    },
    "scam_fraud": {
        "en": ("Congratulations! You won a $1,000 gift card. "
               "Confirm your card number and PIN at {url} within 24 hours.",
               "send 0.1 BTC to the address below and get 1 BTC back, official giveaway, 2 hours only",
               "Your account will be suspended. Verify your password at {url}"),
        "es": ("¡Felicidades! Has ganado un teléfono. Paga solo el envío en {url}",),
        "fr": ("Votre colis est bloqué. Réglez 1,99 € de frais sur {url}",),
        "ar": ("مبروك! ربحت جائزة 5000 ريال. أرسل رقم بطاقتك إلى {url}",),
        "zh": ("恭喜中奖！请在{url}输入银行卡号和密码领取奖金 💰",),
        "ja": ("【重要】アカウントが停止されます。{url} でパスワードを確認してください",),
    },
    "counterfeit_ip": {
        "en": ("'Designer' handbag, 1:1 mirror quality, comes with a fake receipt ;) {price}",
               "Brand-name sneakers, factory replica, same as the original, {price}",
               "Full season of a streaming series, all episodes, DM for the download link"),
        "es": ("bolso de 'marca', réplica 1:1, {price}",),
        "fr": ("montre de luxe, copie parfaite, {price}",),
        "ar": ("ساعة ماركة فاخرة، نسخة طبق الأصل، {price}",),
        "zh": ("名牌手表 高仿 一比一 {price}",),
        "ja": ("ブランドバッグ スーパーコピー N級品 {price}",),
    },
}

# Posts that were reported but break no policy (false or mistaken reports).
_BENIGN_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "harassment": ("{target} haha you're the worst at this game, rematch tomorrow?",),
    "hate_speech": ("History class notes: how propaganda targeted {group} in the 1930s, and why it matters today.",),
    "violent_graphic": ("Behind the scenes: how our film crew made the fake blood for the final scene",),
    "self_harm": ("Two years in recovery today. If you are struggling, talk to someone - it helps.",),
    "adult_nudity": ("Beach day with the family, finally some sun",),
    "child_safety": ("[placeholder: school event photo reported by a parent - no real content]",),
    "spam": ("Our bakery opens a new branch on Saturday, first coffee is free",),
    "scam_fraud": ("Reminder from the city: the real tax office never asks for your PIN by message.",),
    "counterfeit_ip": ("Vintage leather bag from my grandmother, genuine, with the original receipt. {price}",),
}

_BENIGN: dict[str, tuple[str, ...]] = {
    "en": ("Recipe: grandma's lentil soup, ready in 30 minutes",
           "Does anyone know a good bike repair shop near the station?",
           "Selling my old desk, good condition, pickup only. {price}",
           "Our team won the regional quiz tonight!",
           "Movie review: the new thriller has great special effects but a weak ending."),
    "es": ("Receta: sopa de lentejas de la abuela 🍲",
           "¿Alguien sabe de un taller de bicicletas cerca de la estación?"),
    "fr": ("Recette : la soupe aux lentilles de mamie 🍲",
           "Quelqu'un connaît un bon réparateur de vélos près de la gare ?"),
    "ar": ("وصفة شوربة العدس من جدتي، جاهزة في ٣٠ دقيقة 🍲", "هل يعرف أحد محلاً جيداً لتصليح الدراجات قرب المحطة؟"),
    "zh": ("奶奶的扁豆汤做法，30分钟搞定 🍲", "有人知道车站附近哪家修自行车的店好吗？"),
    "ja": ("おばあちゃんのレンズ豆スープのレシピ、30分でできます 🍲",
           "駅の近くに良い自転車屋さんを知っている人いますか？"),
}

_EMOJI: dict[str, tuple[str, ...]] = {
    "harassment": ("🤡🤡🤡", "👋🚪", "😂😂😂", "🙄"),
    "hate_speech": ("😠", "🚫🚫", "👎"),
    "violent_graphic": ("⚠️", "😱", "🎬"),
    "self_harm": ("💔", "🖤", "💚"),
    "adult_nudity": ("🔞", "☀️🏖️"),
    "child_safety": ("⚠️",),
    "spam": ("🔥🔥🔥", "💯💯", "🤑", "👉👉"),
    "scam_fraud": ("💰💰", "⏳", "🎁", "🏦"),
    "counterfeit_ip": ("👜", "👟", "⌚", "✨✨"),
}
_EMOJI_BENIGN = ("😊", "🎉", "🙌", "☕", "🚲", "🍲", "🌊")
_EMOJI_COMMON = ("👩🏽‍💻", "🧑🏿‍🤝‍🧑🏻", "🇧🇷", "❤️‍🔥", "🫠", "👍🏾", "🇯🇵", "😅")

_URL_WORDS = ("win", "free", "claim", "promo", "gift", "verify", "deal", "bonus")


def _fill(template: str, rng: random.Random, language: str) -> str:
    return template.format(
        target=f"@user_{rng.randint(1000, 99999)}",
        group=_GROUP.get(language, _GROUP["en"]),
        url=f"example.invalid/{rng.choice(_URL_WORDS)}{rng.randint(10, 999)}",
        price=f"{rng.choice(['€', '$', '£', '¥'])}{rng.randint(9, 499)}",
    )


def post_text(category: str, language: str, violating: bool, rng: random.Random) -> str:
    """A clearly simulated post in *language* that fits *category*.

    ``language`` is one of :data:`LANGUAGES`; ``"emoji"`` is English with
    emoji (skin tones, ZWJ sequences, flags) around it. Benign posts are the
    kind of thing that gets reported by mistake.
    """
    base_language = "en" if language == "emoji" else language
    if base_language not in MARKER:
        raise ValueError(f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}")
    if violating:
        pool = _VIOLATING.get(category, {}).get(base_language) or _VIOLATING.get(category, {}).get("en") \
            or ("[placeholder: reported content]",)
    elif base_language == "en" and rng.random() < 0.6 and category in _BENIGN_BY_CATEGORY:
        pool = _BENIGN_BY_CATEGORY[category]
    else:
        pool = _BENIGN[base_language]
    body = _fill(rng.choice(pool), rng, base_language)
    if language == "emoji":
        decor = _EMOJI.get(category, ("✨",)) if violating else _EMOJI_BENIGN
        body = f"{rng.choice(decor)} {body} {rng.choice(decor)}{rng.choice(_EMOJI_COMMON)}"
    return f"{MARKER[base_language]} {body}"


_LISTINGS: tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = (
    (  # violating: counterfeit or infringing
        ("'Designer' handbag - mirror quality 1:1",
         "Looks exactly like the brand original, comes with a fake receipt ;)"),
        ("Luxury watch - AAA replica", "Same weight as the real one, nobody will notice. Bulk discount."),
        ("Brand sneakers - factory copy", "Factory replica, same as the original, all sizes."),
        ("Sports jersey 'official' - wholesale lot", "50 'official' jerseys, unlicensed print, ships today."),
        ("Streaming account lifetime access", "Shared premium login, lifetime, DM for the password."),
    ),
    (  # benign: genuine resale
        ("Vintage leather bag, genuine", "From my grandmother, genuine, with the original receipt."),
        ("Used road bike, 54 cm", "Serviced last month, small scratch on the frame."),
        ("Handmade ceramic mug set", "Four mugs I made myself, dishwasher safe."),
        ("Second-hand sneakers, original box", "Worn twice, original box and receipt included."),
        ("Oak desk, pickup only", "Solid oak, 120 x 60 cm, pickup only."),
    ),
)


def listing(violating: bool, rng: random.Random) -> tuple[str, str]:
    """A marketplace listing ``(title, description)`` in English, clearly simulated."""
    title, description = rng.choice(_LISTINGS[0] if violating else _LISTINGS[1])
    return f"[simulated listing] {title}", f"{MARKER['en']} {description}"


#: Names of the people around a reported post in the demo threads (issue 14 §1, thread context).
_THREAD_AUTHORS = ("rosa_m", "kenji.t", "amira_h", "li_wei", "noor", "sam_k", "olga.v", "diego_r")


def thread(language: str, rng: random.Random) -> list[dict[str, str]]:
    """A clearly simulated parent post and a few benign replies around a reported post, in its *language*
    (``"emoji"`` decorates English), as a manifest row's ``thread`` carries them: text only."""
    relations = ["parent", *["before"] * rng.randint(0, 2), *["after"] * rng.randint(1, 2)]
    texts: list[str] = []
    for _ in range(4 * len(relations)):  # a few languages have few benign posts: draw until they differ
        text = post_text("thread", language, False, rng)
        if text not in texts:
            texts.append(text)
        if len(texts) == len(relations):
            break
    return [{"author": rng.choice(_THREAD_AUTHORS), "text": text, "at": "", "relation": relation}
            for relation, text in zip(relations, texts)]
