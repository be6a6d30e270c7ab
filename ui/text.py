"""The page's words in Finnish and English: ``t(key, lang)``; Finnish is the default.

Help texts carry an English gloss in Finnish mode (the planner's terms with the model's name in
brackets) and a Finnish gloss in English mode, and every control's unit.
"""
from __future__ import annotations

LANGS = ("fi", "en")

TEXT: dict[str, tuple[str, str]] = {
    "title": ("ETP-ennuste: entä jos?", "ETP forecast: what if?"),
    "subtitle": (
        "Elinvoima- ja työllisyyspalvelut. Lähtötilanne: {period}. "
        "Luvut ovat {draws} Monte Carlo -polun keskiarvoja; väli P10–P90.",
        "Vitality and employment services. Starting point: {period}. "
        "Figures are means over {draws} Monte Carlo paths; band P10–P90.",
    ),
    "lang": ("Kieli / Language", "Language / Kieli"),
    "sidebar_title": ("Entä jos -asetukset", "What-if settings"),
    "period": ("Kausi (lähtötiedot)", "Period (starting figures)"),
    "period_help": (
        "Minkä kauden luvuista ennuste lähtee (period pack): mukana tullut Lahden tammi–kesäkuu 2022 tai ladattu "
        "kausipaketti. Kaikki sivun luvut seuraavat valittua kautta.",
        "Which period's figures the forecast starts from (kausipaketti): the bundled Lahti Jan–Jun 2022 or an "
        "uploaded period pack. Every figure on the page follows the chosen period.",
    ),
    "period_upload": ("Lataa kausipaketti", "Upload a period pack"),
    "period_files": ("Excel-työkirja (.xlsx) tai sen taulukot CSV-tiedostoina",
                     "An Excel workbook (.xlsx) or its sheets as CSV files"),
    "period_files_help": (
        "Pohja: `ennuste period template --out kausi.xlsx` (template). Paketti tarkistetaan kuten "
        "`ennuste period check`; virheet näytetään rivi riviltä. Uuden kauden ensimmäinen ajo kalibroi mallin "
        "(noin minuutti, kerran).",
        "Template: `ennuste period template --out kausi.xlsx` (pohja). The pack is checked as by "
        "`ennuste period check`; problems are listed one a line. A new period's first run calibrates the model "
        "(about a minute, once).",
    ),
    "period_calibrating": ("Kalibroidaan malli uuden kauden tietoihin (kerran, noin minuutti)…",
                           "Calibrating the model to the new period's figures (once, about a minute)…"),
    "base": ("Lähtöskenaario", "Starting scenario"),
    "base_help": (
        "Skenaariotiedosto kansiosta scenarios/ (starting scenario file). Säätimet alkavat tiedoston arvoista; "
        "muuttamaton säädin ei muuta tiedostoa.",
        "A scenario file from scenarios/ (lähtöskenaario). The controls start at the file's values; a control left "
        "as it is does not change the file.",
    ),
    "grp_fazer": ("Fazerin tehdas", "Fazer's factory"),
    "fazer_jobs": ("Fazerin työpaikat tuotannossa (henkilöä)", "Fazer production jobs (persons)"),
    "fazer_jobs_help": (
        "Suorat työpaikat tuotannossa, kun tuotanto on täydessä vauhdissa; yksikkö: henkilöä (direct production "
        "jobs at full ramp). 0 = ei Fazeria. Rakentamisvaihe ja välilliset työpaikat tiedostosta fazer.toml.",
        "Direct jobs in production at full ramp; unit: persons (työpaikat). 0 = no Fazer. The construction phase and "
        "indirect jobs come from fazer.toml.",
    ),
    "fazer_start": ("Tuotannon alku (kuukausi)", "Production start (month)"),
    "fazer_start_help": (
        "Kuukausi, jolloin tuotannon rekrytointi alkaa; rakentaminen siirtyy samassa tahdissa; yksikkö: vvvv-kk "
        "(production start, month).",
        "The month production hiring begins; construction moves with it; unit: yyyy-mm (tuotannon alku).",
    ),
    "fazer_local": ("Paikallisten osuus palkatuista (%)", "Local share of hires (%)"),
    "fazer_local_help": (
        "Osuus palkatuista, jotka tulevat Lahden työttömistä; muut muuttavat Lahteen; yksikkö: % (local share "
        "of hires). Muutettu arvo on kiinteä luku tiedoston vaihteluvälin sijaan.",
        "Share of hires taken from Lahti's unemployed; the rest move to Lahti; unit: % (paikallisten osuus). A "
        "changed value is a fixed number instead of the file's range.",
    ),
    "grp_people": ("Työmarkkinat ja palvelut", "Labour market and services"),
    "refugees": ("Tilapäistä suojelua saavat, yhteensä (henkilöä)", "Refugee arrivals, total (persons)"),
    "refugees_help": (
        "Ukrainasta saapuvat yhteensä 2022–2024; kuukausittainen jakauma tiedostosta refugees.toml; yksikkö: "
        "henkilöä (refugee arrivals under temporary protection). 0 = ei saapuvia.",
        "Arrivals from Ukraine in 2022–2024 in all; the monthly profile from refugees.toml; unit: persons "
        "(tilapäistä suojelua saavat). 0 = no arrivals.",
    ),
    "activation": ("Aktivointiasteen tavoite (%)", "Activation target (%)"),
    "activation_help": (
        "Aktivointiaste: palveluissa olevien osuus työnhakijoista, saavutetaan tiedoston päivämäärään (muuten "
        "12/2023) mennessä; yksikkö: % (activation rate target). 6/2022: 24,2 %.",
        "Activation rate: share of jobseekers in services, reached by the file's date (else 12/2023); unit: % "
        "(aktivointiaste). 6/2022: 24.2 %.",
    ),
    "downturn": ("Taantuma: uusien työttömyysjaksojen kasvu (%)", "Downturn: rise of new unemployment (%)"),
    "downturn_help": (
        "Alkavien työttömyysjaksojen kasvu pohjalla vuodesta 2023; avoimet työpaikat vähenevät samassa suhteessa "
        "(enintään 95 %); muoto tiedostosta downturn.toml; yksikkö: % (downturn size). 0 = ei taantumaa.",
        "Rise of new unemployment spells at the trough from 2023; vacancies fall in proportion (at most 95 %); the "
        "shape from downturn.toml; unit: % (taantuma). 0 = no downturn.",
    ),
    "tmt_rules": ("TMT-säännöt", "TMT rule set"),
    "tmt_rules_help": (
        "Työmarkkinatuen kuntaosuuden säännöt: vuoden 2022 säännöt (300/1 000 päivää, 50/70 %) tai TE24 "
        "1.1.2025 alkaen (kaikki etuudet 101. päivästä); yksikkö: sääntökokonaisuus (TMT rule set). "
        "Palvelujen siirto on tiedostossa te24_reform.toml.",
        "Rules of the city's share of labour-market subsidy: the 2022 rules (300/1 000 days, 50/70 %) or TE24 from "
        "1.1.2025 (all benefits from day 101); unit: rule set (TMT-säännöt). The services' transfer is in "
        "te24_reform.toml.",
    ),
    "rules_r2006": ("2022 (300/1 000 päivää)", "2022 (300/1,000 days)"),
    "rules_te24": ("TE24 vuodesta 2025", "TE24 from 2025"),
    "eco_delay": ("Ekosysteemihankkeiden lisäviive (vuotta)", "Ecosystem projects: further delay (years)"),
    "eco_delay_help": (
        "Vuodet, joina hankkeet viivästyvät vuoden 2022 tapaan (tulot −0,6, menot −0,7 milj. € vuodessa) ennen "
        "kiinniottoa; yksikkö: vuotta (ecosystem projects delay).",
        "Years in which the projects slip as in 2022 (revenue −0.6, costs −0.7 M€ a year) before catching up; "
        "unit: years (ekosysteemihankkeiden viive).",
    ),
    "grp_run": ("Laskenta", "Computation"),
    "estimator": ("Ennustemenetelmä", "Forecast estimator"),
    "estimator_help": (
        "Tilien vuosiennuste: raportin menetelmä (talousarvio + nimetyt erät), toteuman vauhti (1–6 toteuma / "
        "edellisen vuoden 1–6 osuus) tai niiden yhdistelmä; yksikkö: menetelmä (forecast estimator).",
        "Year-end estimator of the ledger lines: the report's method (budget + named drivers), run rate (Jan–Jun "
        "actual / last year's Jan–Jun share) or a blend; unit: method (ennustemenetelmä).",
    ),
    "est_report": ("Raportin menetelmä", "Report's method"),
    "est_run_rate": ("Toteuman vauhti", "Run rate"),
    "est_blend": ("Yhdistelmä", "Blend"),
    "draws": ("Polkujen määrä", "Number of paths"),
    "draws_help": (
        "Monte Carlo -polkujen määrä; enemmän = tasaisempi P10–P90, hitaampi; yksikkö: polkua (number of paths).",
        "Monte Carlo paths; more = smoother P10–P90, slower; unit: paths (polkujen määrä).",
    ),
    "seed": ("Siemenluku", "Seed"),
    "seed_help": (
        "Satunnaislukujen siemen; sama siemen ja polut = samat luvut (myös komentorivillä); yksikkö: kokonaisluku "
        "(random seed).",
        "Random seed; the same seed and paths give the same numbers (on the command line too); unit: whole number "
        "(siemenluku).",
    ),
    "reset": ("Palauta tiedoston arvot", "Reset to the file's values"),
    "changed": ("Muutettu tiedostosta: {names}", "Changed from the file: {names}"),
    "unchanged": ("Tiedoston asetukset sellaisenaan.", "The file's settings as they are."),
    "year": ("Vuosi", "Year"),
    "year_help": ("Vuosi, jonka vuodenvaihteen luvut näytetään (year shown).", "Year whose year-end figures are shown (vuosi)."),
    "url_error": ("Linkin asetus ei kelpaa, käytetään tiedoston arvoa: {msg}",
                  "A setting in the link is not valid; the file's value is used: {msg}"),
    "build_error": ("Asetukset eivät kelpaa: {msg}", "The settings are not valid: {msg}"),
    # KPI
    "sec_kpi": ("Vuodenvaihteen ennuste {year}", "Year-end forecast {year}"),
    "revenue_keur": ("Toimintatuotot", "Revenue"),
    "costs_keur": ("Toimintakulut", "Costs"),
    "margin_keur": ("Toimintakate", "Margin"),
    "forecast": ("ennuste", "forecast"),
    "tmt_cost_keur": ("TMT (työmarkkinatuen kuntaosuus)", "TMT (city's share of labour-market subsidy)"),
    "unemployed": ("Työttömät, joulukuu", "Unemployed, December"),
    "long_term_unemployed": ("Pitkäaikaistyöttömät, joulukuu", "Long-term unemployed, December"),
    "unemployment_rate_pct": ("Työttömyysaste, joulukuu", "Unemployment rate, December"),
    "labour_title": ("Lahden työmarkkinat ja TMT", "Lahti's labour market and TMT"),
    "vs_base": ("perusuraan", "vs baseline"),
    "vs_budget": ("talousarvioon", "vs budget"),
    "vs_appropriation": ("määrärahaan", "vs appropriation"),
    "p_below_budget": ("alle talousarvion", "below budget"),
    "amendment": ("talousarviomuutos tarpeen", "budget amendment needed"),
    "band": ("P10–P90", "P10–P90"),
    # charts
    "tab_finance": ("Talous", "Finance"),
    "tab_tmt": ("TMT", "TMT"),
    "tab_labour": ("Työmarkkinat", "Labour market"),
    "tab_years": ("Monivuotinen", "Multi-year"),
    "tab_compare": ("Vertailu", "Compare"),
    "tab_export": ("Vie ja jaa", "Export and share"),
    "tab_sens": ("Herkkyys", "Sensitivity"),
    "tab_goal": ("Tavoitehaku", "Goal seek"),
    "sens_kpi": ("Tunnusluku", "Figure"),
    "sens_title": ("Herkkyys: {kpi} {year}", "Sensitivity: {kpi} {year}"),
    "sens_intro": (
        "Kuinka paljon tunnusluvun keskiarvo muuttuu, kun yksi epävarma oletus pidetään P10- ja P90-arvossaan "
        "(muut vaihtelevat ja käyttävät samoja satunnaislukuja), tai kun yksi skenaarion sokki tai oikaisu "
        "poistetaan (sensitivity: tornado). Varianssiosuus: oletuksen ensimmäisen kertaluvun Sobol-indeksi.",
        "How much the figure's mean moves when one uncertain input is held at its P10 and at its P90 (the rest "
        "vary, on the same random numbers), or when one shock or adjustment of the scenario is left out "
        "(herkkyys: tornado). Variance share: the input's first-order Sobol index."),
    "sens_wait": ("Lasketaan herkkyyttä (kaksi ajoa jokaista oletusta kohden)…",
                  "Computing the sensitivity (two runs per input)…"),
    "sens_none": ("Mikään oletus ei muuta tätä lukua.", "No input moves this figure."),
    "sens_input": ("Oletus", "Input"),
    "sens_without": ("ilman", "without"),
    "sens_with": ("kanssa", "with"),
    "sens_swing": ("Vaihteluväli", "Swing"),
    "sens_share": ("Varianssiosuus", "Variance share"),
    "goal_intro": (
        "Millä säätimen arvolla tunnusluku pysyy tavoitteessa halutulla todennäköisyydellä (goal seek)? "
        "Haku ajaa skenaarion samoilla satunnaisluvuilla eri arvoilla (Brentin menetelmä).",
        "At what value of a control does the figure stay within the target with the given probability "
        "(tavoitehaku)? The search runs the scenario on the same random numbers at different values (Brent's method)."),
    "goal_control": ("Säädin", "Control"),
    "goal_bound": ("Tavoite", "Target"),
    "goal_at_most": ("enintään", "at most"),
    "goal_at_least": ("vähintään", "at least"),
    "goal_level": ("Tavoitetaso (tunnusluvun yksikössä)", "Target level (in the figure's unit)"),
    "goal_prob": ("Todennäköisyys", "Probability"),
    "goal_run": ("Hae", "Search"),
    "goal_wait": ("Haetaan…", "Searching…"),
    "goal_set": ("Aseta säädin arvoon {value}", "Set the slider to {value}"),
    "goal_above": ("tai enemmän", "or more"),
    "goal_below": ("tai vähemmän", "or less"),
    "goal_solved": (
        "{control} = {value} {side} täyttää tavoitteen P({kpi} {sign} {level}) ≥ {p} %. Säätimen arvolla {slider} "
        "todennäköisyys on {check} % (tarkistusajo).",
        "{control} = {value} {side} meets P({kpi} {sign} {level}) ≥ {p}%. At the slider value {slider} the "
        "probability is {check}% (a check run)."),
    "goal_everywhere": (
        "Säätimen {control} jokainen kokeiltu arvo ({n} arvoa koko väliltä) täyttää tavoitteen "
        "P({kpi} {sign} {level}) ≥ {p} %.",
        "Every value of {control} tried ({n} values over its range) meets P({kpi} {sign} {level}) ≥ {p}%."),
    "goal_many": (
        " Tunnusluku ei muutu säätimen mukana yhteen suuntaan ({n} leikkauskohtaa): tämä on lähimpänä nykyistä arvoa.",
        " The figure does not move one way with the control ({n} crossings): this one is nearest the current value."),
    "goal_never": (
        "Mikään säätimen {control} kokeiltu arvo ei täytä tavoitetta P({kpi} {sign} {level}) ≥ {p} %. Lähimmäs pääsee "
        "arvo {best}: todennäköisyys {got} %, tunnusluvun kvantiili {q}.",
        "No value of {control} tried meets P({kpi} {sign} {level}) ≥ {p}%. The closest is {best}: probability {got}%, "
        "the figure's quantile {q}."),
    "tab_accuracy": ("Ennustetarkkuus", "Forecast accuracy"),
    "unit_select": ("Yksikkö", "Unit"),
    "cum_title": ("Toimintakate kertymä {year}, milj. € (toteuma 1–{m}, sitten ennuste)",
                  "Cumulative margin {year}, M€ (actual to month {m}, then forecast)"),
    "cum_title_later": ("Toimintakate kertymä {year}, milj. €", "Cumulative margin {year}, M€"),
    "budget_prorata": ("Talousarvio (tasaisesti jaksotettu)", "Budget (spread evenly)"),
    "actual": ("Toteuma 1–{m}/{year}", "Actual 1–{m}/{year}"),
    "whatif": ("Entä jos", "What-if"),
    "baseline": ("Perusura", "Baseline"),
    "p10_p90": ("P10–P90", "P10–P90"),
    "month": ("Kuukausi", "Month"),
    "meur": ("milj. €", "M€"),
    "persons": ("henkilöä", "persons"),
    "waterfall_title": ("Poikkeama talousarviosta {year} erittäin, milj. € (+ = parempi)",
                        "Deviation from budget {year} by driver, M€ (+ = better)"),
    "total_deviation": ("Poikkeama yhteensä", "Deviation, total"),
    "tmt_title": ("TMT kuukausittain kirjattuna, milj. € (kuntaosuus tukipäivien mukaan)",
                  "TMT booked by month, M€ (city's share by subsidy days)"),
    "band_under_500": ("alle 500 päivää", "under 500 days"),
    "band_500_1000": ("500–1 000 päivää", "500–1,000 days"),
    "band_over_1000": ("yli 1 000 päivää", "over 1,000 days"),
    "tmt_total": ("TMT yhteensä", "TMT total"),
    "labour_chart_title": ("Työttömät ja pitkäaikaistyöttömät kuukausittain, henkilöä",
                           "Unemployed and long-term unemployed by month, persons"),
    "report_june": ("Raportti 6/2022", "Report 6/2022"),
    "years_title": ("Vuosittain {measure}", "By year: {measure}"),
    "years_measure": ("Mittari", "Measure"),
    "budget": ("Talousarvio", "Budget"),
    "years_table": ("Vuodenvaihteen luvut (keskiarvo)", "Year-end figures (mean)"),
    # compare
    "pin_name": ("Nimi kiinnitettävälle skenaariolle", "Name for the pinned scenario"),
    "pin": ("Kiinnitä nykyiset asetukset", "Pin the current settings"),
    "pin_full": ("Enintään {n} kiinnitettyä; poista ensin yksi.", "At most {n} pinned; remove one first."),
    "pin_none": ("Ei kiinnitettyjä skenaarioita. Anna nimi ja kiinnitä nykyiset asetukset vertailuun.",
                 "No pinned scenarios. Give a name and pin the current settings to compare."),
    "pin_remove": ("Poista {name}", "Remove {name}"),
    "current": ("Nykyinen", "Current"),
    "compare_measure": ("Kuvaajan mittari", "Chart measure"),
    "compare_table": ("Vertailu vuonna {year} (keskiarvo; P10–P90)", "Comparison in {year} (mean; P10–P90)"),
    "pin_default": ("Skenaario {n}", "Scenario {n}"),
    # export
    "dl_year_end": ("Lataa vuositaulukko (CSV)", "Download year-end table (CSV)"),
    "dl_monthly": ("Lataa kuukausitaulukko (CSV)", "Download monthly table (CSV)"),
    "dl_deviations": ("Lataa poikkeamaerittely (CSV)", "Download deviations (CSV)"),
    "dl_toml": ("Lataa skenaariotiedosto (TOML)", "Download scenario file (TOML)"),
    "toml_show": ("Skenaariotiedosto", "Scenario file"),
    "report_head": ("Seurantaraportin ennusteosa (kertomus, tunnusluvut, taulukot, kaaviot):",
                    "The monitoring report's forecast section (summary, key figures, tables, charts):"),
    "dl_report_xlsx": ("Lataa raportti (Excel)", "Download report (Excel)"),
    "dl_report_html": ("Lataa raportti (HTML)", "Download report (HTML)"),
    "dl_report_md": ("Lataa raportti (Markdown + kuvat, ZIP)", "Download report (Markdown + images, ZIP)"),
    "reproduce": ("Samat luvut komentoriviltä:", "The same numbers from the command line:"),
    "share": ("Jaa: asetukset ovat sivun osoitteessa (URL). Tämän näkymän linkki:",
              "Share: the settings are in the page's address (URL). The link to this view:"),
    "whatif_name": ("{name} – entä jos", "{name} – what-if"),
    # the Ennustetarkkuus (forecast accuracy) tab, ui/accuracy.py
    "acc_measure": ("Mittari", "Measure"),
    "acc_unemployed": ("Työttömät", "Unemployed"),
    "acc_long_term_unemployed": ("Pitkäaikaistyöttömät", "Long-term unemployed"),
    "acc_spinner": ("Lasketaan takautuvaa testiä: malli kalibroidaan jokaisena lähtökuukautena (noin 1–2 min, vain ensimmäisellä "
                "avauskerralla palvelimen käynnistyksen jälkeen)…",
                "Running the back-test: the model is calibrated at every origin (about 1–2 min, once per server)…"),
    "acc_intro": ("Miten mallin aiemmat ennusteet osuivat: jokaisesta lähtökuukaudesta malli on kalibroitu vain sitä "
              "edeltäneillä TEM-luvuilla ja ennustettu 1–12 kk eteenpäin. Pisteet: mediaani (P50), pystyviiva: "
              "P10–P90-väli; musta viiva: toteutunut.",
              "How the model's past forecasts fared: at each origin it was calibrated only on the TEM figures up to "
              "it and forecast 1–12 months ahead. Points: the median (P50), bars: the P10–P90 band; black: what "
              "happened."),
    "acc_chart_title": ("{measure}: ennusteet lähtökuukausittain ja toteuma, henkilöä",
                    "{measure}: forecasts by origin and the actuals, persons"),
    "acc_origin": ("Lähtökuukausi", "Origin"),
    "acc_month": ("Kuukausi", "Month"),
    "acc_actual": ("Toteuma", "Actual"),
    "acc_horizon": ("Ennustehorisontti, kk", "Horizon, months"),
    "acc_coverage": ("P10–P90 osui, %", "Inside P10–P90, %"),
    "acc_n": ("Ennusteita", "Forecasts"),
    "acc_mape_model": ("Mallin virhe (MAPE), %", "Model error (MAPE), %"),
    "acc_mape_persistence": ("Ennallaan-ennusteen virhe, %", "Persistence error, %"),
    "acc_mape_ets": ("ETS-ennusteen virhe, %", "ETS error, %"),
    "acc_table_head": ("**Osumat ja virheet ennustehorisontin mukaan** (nimellinen osuma 80 %)",
                   "**Coverage and errors by horizon** (nominal coverage 80 %)"),
    "acc_trust_ok": ("Mallin P10–P90-väliin osui {cov} % toteutuneista ({n} ennustetta, tavoite 80 %): väliin voi "
                 "luottaa suunnilleen nimellisesti – noin neljä kertaa viidestä toteuma on jäänyt sen sisään.",
                 "{cov} % of the actuals fell inside the model's P10–P90 ({n} forecasts, nominal 80 %): the band can "
                 "be trusted about at face value — about four times in five the outcome has been inside it."),
    "acc_trust_narrow": ("Mallin P10–P90-väliin osui vain {cov} % toteutuneista ({n} ennustetta, tavoite 80 %): väli on "
                     "liian kapea, ja todellinen epävarmuus on sitä suurempi.",
                     "Only {cov} % of the actuals fell inside the model's P10–P90 ({n} forecasts, nominal 80 %): "
                     "the band is too narrow; the real uncertainty is larger."),
    "acc_trust_wide": ("Mallin P10–P90-väliin osui {cov} % toteutuneista ({n} ennustetta, tavoite 80 %): väli on "
                   "varovaisen leveä, ja toteuma on osunut sen sisään useammin kuin nimellisesti.",
                   "{cov} % of the actuals fell inside the model's P10–P90 ({n} forecasts, nominal 80 %): the band "
                   "is cautiously wide; outcomes fell inside it more often than nominal."),
    "acc_small_n": ("Aineisto on pieni (julkaistut TEM-kuukausiluvut 12/2019–6/2022), joten osuma-%:t ovat "
                "suuntaa antavia.",
                "The data are few (the published monthly TEM figures 12/2019–6/2022): the coverage figures are "
                "indicative."),
}


def t(key: str, lang: str = "fi", **kw) -> str:
    fi, en = TEXT[key]
    text = en if lang == "en" else fi
    return text.format(**kw) if kw else text


_MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#+-.!|~:$&=\"'/")
MESSAGE_CHARS = 300  # a message on the page is one readable line, whatever a link carried


def plain(text: str, limit: int = MESSAGE_CHARS) -> str:
    """``text`` for a markdown element (``st.error`` renders markdown): every markdown or HTML character
    escaped, so a value from a URL shows as typed and never as a link, image or formatting; one line, cut
    to ``limit`` characters.

    >>> plain("[Click](https://evil.example/x)")
    '\\\\[Click\\\\]\\\\(https\\\\:\\\\/\\\\/evil\\\\.example\\\\/x\\\\)'
    >>> len(plain("a" * 1000)) == 300
    True
    """
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)
