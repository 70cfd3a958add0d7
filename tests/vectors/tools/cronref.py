"""A deliberately simple reference for cron matching, used to derive test vectors independently of the C
matcher: it tests one date or time of day at a time against sets of values, with no bitsets, no carry
loop and no span arithmetic.

Two front ends: `fields_spec(dict)` for the APScheduler 3 field API and `crontab_spec(str)` for crontab
strings (cron(5) as cronie reads it plus the Quartz/Cronos extensions). Both produce a Spec whose
`day_matches(date)` and `times()` describe the expression; `periodic` tells the DST policy which rule
applies."""
import calendar
import datetime as dt

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
API_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CRON_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


class Spec:
    def __init__(self):
        self.years = self.months = self.hours = self.minutes = self.seconds = None
        self.dom = lambda d: True
        self.dow = lambda d: True
        self.week = lambda d: True
        self.either = False
        self.periodic = False

    def day_matches(self, d):
        if d.year not in self.years or d.month not in self.months or not self.week(d):
            return False
        if self.either:
            return self.dom(d) or self.dow(d)
        return self.dom(d) and self.dow(d)

    def times(self):
        return [dt.time(h, m, s) for h in sorted(self.hours) for m in sorted(self.minutes)
                for s in sorted(self.seconds)]


def value(tok, names, base):
    if tok.isdigit():
        return int(tok)
    return names.index(tok.lower()) + base


def values(expr, lo, hi, names=None, base=0, cron_dow=False):
    """The set of plain values of a comma list: *, */n, a, a-b, a-b/n, a/n."""
    out = set()
    for item in expr.split(","):
        rng, _, step = item.partition("/")
        step = int(step) if step else 1
        if rng in ("*", "?"):
            a, b = lo, hi
        elif "-" in rng:
            a, b = (value(x, names, base) for x in rng.split("-"))
            if cron_dow and b == 0 and a > 0:
                b = 7
        else:
            a = value(rng, names, base)
            b = hi if _ else a
        out.update(range(a, b + 1, step))
    return out


def years(expr):
    """The year field: 1..9999, but "*/n" counts from 1970 (APScheduler's first year) in both directions."""
    out = set()
    for item in expr.split(","):
        rng, _, step = item.partition("/")
        if rng in ("*", "?") and step:
            out.update(y for y in range(1, 10000) if (y - 1970) % int(step) == 0)
        else:
            out.update(values(item, 1, 9999))
    return out


def last_day(d):
    return calendar.monthrange(d.year, d.month)[1]


def nearest_workday(d, n):
    if n < 1 or n > last_day(d):
        return None
    day = dt.date(d.year, d.month, n)
    if day.weekday() < 5:
        return n
    if day.weekday() == 5:
        return n - 1 if n > 1 else n + 2
    return n + 1 if n < last_day(d) else n - 2


def last_workday(d):
    n = last_day(d)
    while dt.date(d.year, d.month, n).weekday() >= 5:
        n -= 1
    return n


# ---- the field API (APScheduler 3) -------------------------------------------------------------------

API_FIELDS = ["year", "month", "day", "week", "day_of_week", "hour", "minute", "second"]
API_DEFAULTS = {"year": "*", "month": "1", "day": "1", "week": "*", "day_of_week": "*", "hour": "0",
                "minute": "0", "second": "0"}


def api_day_pred(expr):
    preds = []
    for item in expr.split(","):
        words = item.lower().split()
        if words == ["last"]:
            preds.append(lambda d: d.day == last_day(d))
        elif len(words) == 2:
            wd = API_DAYS.index(words[1])
            if words[0] == "last":
                preds.append(lambda d, wd=wd: d.weekday() == wd and d.day + 7 > last_day(d))
            else:
                k = int(words[0][0])
                preds.append(lambda d, wd=wd, k=k: d.weekday() == wd and (d.day - 1) // 7 == k - 1)
        else:
            s = values(item, 1, 31)
            preds.append(lambda d, s=s: d.day in s)
    return lambda d: any(p(d) for p in preds)


def fields_spec(args):
    given = [f for f in API_FIELDS if f in args]
    last = max((API_FIELDS.index(f) for f in given), default=-1)
    exprs = {}
    for i, f in enumerate(API_FIELDS):
        exprs[f] = str(args[f]) if f in args else (API_DEFAULTS[f] if i > last else "*")
    s = Spec()
    s.years = years(exprs["year"])
    s.months = values(exprs["month"], 1, 12, MONTHS, 1)
    s.dom = api_day_pred(exprs["day"])
    weeks = values(exprs["week"], 1, 53)
    s.week = lambda d: d.isocalendar()[1] in weeks
    dows = values(exprs["day_of_week"], 0, 6, API_DAYS, 0)
    s.dow = lambda d: d.weekday() in dows
    s.hours = values(exprs["hour"], 0, 23)
    s.minutes = values(exprs["minute"], 0, 59)
    s.seconds = values(exprs["second"], 0, 59)
    s.periodic = exprs["hour"].startswith("*") or exprs["minute"].startswith("*")
    return s


# ---- crontab strings --------------------------------------------------------------------------------

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def cron_dom_pred(expr):
    preds = []
    for item in expr.split(","):
        up = item.upper()
        if up == "L":
            preds.append(lambda d: d.day == last_day(d))
        elif up.startswith("L-") and up.endswith("W"):
            n = int(up[2:-1])
            preds.append(lambda d, n=n: d.day == nearest_workday(d, last_day(d) - n))
        elif up.startswith("L-"):
            n = int(up[2:])
            preds.append(lambda d, n=n: d.day == last_day(d) - n)
        elif up == "LW":
            preds.append(lambda d: d.day == last_workday(d))
        elif up.endswith("W"):
            n = int(up[:-1])
            preds.append(lambda d, n=n: d.day == nearest_workday(d, n))
        else:
            s = values(item, 1, 31)
            preds.append(lambda d, s=s: d.day in s)
    return lambda d: any(p(d) for p in preds)


def cron_weekday(d):
    """0 = Sunday .. 6 = Saturday."""
    return (d.weekday() + 1) % 7


def cron_dow_pred(expr):
    preds = []
    for item in expr.split(","):
        up = item.upper()
        if up.endswith("L"):
            wd = value(up[:-1], CRON_DAYS, 0) % 7
            preds.append(lambda d, wd=wd: cron_weekday(d) == wd and d.day + 7 > last_day(d))
        elif "#" in up:
            a, k = up.split("#")
            wd, k = value(a, CRON_DAYS, 0) % 7, int(k)
            preds.append(lambda d, wd=wd, k=k: cron_weekday(d) == wd and (d.day - 1) // 7 == k - 1)
        else:
            s = {v % 7 for v in values(item, 0, 7, CRON_DAYS, 0, cron_dow=True)}
            preds.append(lambda d, s=s: cron_weekday(d) in s)
    return lambda d: any(p(d) for p in preds)


def crontab_spec(text):
    text = text.strip()
    text = MACROS.get(text, text)
    f = text.split()
    if len(f) == 5:
        f = ["0"] + f + ["*"]
    elif len(f) == 6:
        f = f + ["*"]
    sec, minute, hour, dom, mon, dow, year = f
    s = Spec()
    s.seconds = values(sec, 0, 59)
    s.minutes = values(minute, 0, 59)
    s.hours = values(hour, 0, 23)
    s.months = values(mon, 1, 12, MONTHS, 1)
    s.years = years(year)
    s.dom = cron_dom_pred(dom)
    s.dow = cron_dow_pred(dow)
    s.either = dom[0] not in "*?" and dow[0] not in "*?"
    s.periodic = minute.startswith("*") or hour.startswith("*")
    return s


def spec_of(args):
    return crontab_spec(args["crontab"]) if "crontab" in args else fields_spec(args)
