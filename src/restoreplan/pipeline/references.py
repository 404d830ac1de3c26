"""Bibliographic references of the registered methods.

Every method names the sources it implements by key (``register(..., references=("sun2025",))``);
``restoreplan describe`` and ``restoreplan cite`` print them, and ``restoreplan list --references``
prints the whole list (the REFERENCES page). A record that lacks part of its bibliographic data
says so in ``missing`` instead of inventing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import ConfigError, message

__all__ = ["GENERIC_OPERATIONS", "METHOD_REFERENCES", "Reference", "REFERENCES", "get_reference",
           "references_markdown"]


@dataclass(frozen=True)
class Reference:
    """One bibliographic record.

    ``authors`` as printed in the source ("Sun, Y.; Ren, Y.; ..."), ``label`` the short form used in
    prose ("Sun et al. (2025)"), ``source`` journal/volume/pages or publisher, ``missing`` what of
    the record is not known (empty when complete).
    """

    key: str
    label: str
    authors: str
    year: int | None
    title: str
    source: str
    doi: str = ""
    url: str = ""
    missing: str = ""

    def text(self) -> str:
        """The full reference on one line; what is not known is said, not invented."""
        head = []
        if self.authors:
            head.append(self.authors)
        if self.year:
            head.append(f"({self.year})")
        s = (" ".join(head) + ". " if head else "") + f"{self.title}."
        if self.source:
            s += f" {self.source}."
        if self.doi:
            s += f" doi:{self.doi}"
        elif self.url:
            s += f" {self.url}"
        if self.missing:
            s += f" [record incomplete: {self.missing}]"
        return s

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "authors": self.authors, "year": self.year,
                "title": self.title, "source": self.source, "doi": self.doi, "url": self.url,
                "missing": self.missing, "text": self.text()}


_R = [
    Reference("sun2025", "Sun et al. (2025)",
              "Sun, Y.; Ren, Y.; Liu, S.; Chen, W.; Xu, Y.; Xu, J.; Dang, P.; Niu, Z.; Xu, X.; Cheng, F.", 2025,
              "Identification and optimization of ecological restoration areas coupled with ecosystem service "
              "supply and demand in the Northern Shaanxi Loess Plateau",
              "Land 14(2):287", doi="10.3390/land14020287"),
    Reference("zhao2023", "Zhao et al. (2023)", "Zhao, Y.; Luo, J.; Li, T.; Chen, J.; Mi, Y.; Wang, K.", 2023,
              "A framework to identify priority areas for restoration: integrating human demand and ecosystem "
              "services in Dongting Lake Eco-Economic Zone, China",
              "Land 12(5):965", doi="10.3390/land12050965"),
    Reference("niu2025", "Niu et al. (2025)", "Niu, Q.; Zhu, D.; Wang, Y.; Ding, Z.; Qiu, G.", 2025,
              "Multi-scenario response of ecosystem service value in high-groundwater-level coal–grain "
              "overlapping areas under dual objective constraints",
              "Applied Sciences 15(16):9172", doi="10.3390/app15169172"),
    Reference("dashihe", "the Dashihe mine-tailings study", "", None,
              "Dashihe mine-tailings restoration study (Mengjiachong and Dacai tailings ponds, Qian'an, Hebei, "
              "China): ecosystem service supply and tradeoffs under six restoration scenarios", "",
              missing="authors, year, published title, journal and DOI are not in the available text of the paper"),
    Reference("xie2015", "Xie et al. (2015)", "Xie, G.D.; Zhang, C.X.; Zhang, L.M.; Chen, W.; Li, S.", 2015,
              "Improvement of ecosystem service valuation method based on unit area value equivalent factor",
              "Journal of Natural Resources 30:1243–1254 (in Chinese)", missing="DOI"),
    Reference("liang2021", "Liang et al. (2021)", "Liang, X.; Guan, Q.; Clarke, K.C.; Liu, S.; Wang, B.; Yao, Y.",
              2021, "Understanding the drivers of sustainable land expansion using a patch-generating land use "
              "simulation (PLUS) model: a case study in Wuhan, China",
              "Computers, Environment and Urban Systems 85:101569", doi="10.1016/j.compenvurbsys.2020.101569"),
    Reference("invest320", "InVEST 3.20", "Natural Capital Project", None,
              "InVEST 3.20 (Integrated Valuation of Ecosystem Services and Tradeoffs) user's guide: Carbon "
              "Storage and Sequestration, Habitat Quality and Annual Water Yield models",
              "Stanford University, University of Minnesota, Chinese Academy of Sciences, The Nature "
              "Conservancy, WWF, Stockholm Resilience Centre and the Royal Swedish Academy of Sciences",
              url="https://naturalcapitalproject.stanford.edu/software/invest", missing="release year"),
    Reference("marxan", "Marxan (Ball et al. 2009)", "Ball, I.R.; Possingham, H.P.; Watts, M.", 2009,
              "Marxan and relatives: software for spatial conservation prioritisation",
              "In: Moilanen, A.; Wilson, K.A.; Possingham, H.P. (eds.), Spatial Conservation Prioritisation: "
              "Quantitative Methods and Computational Tools, pp. 185–195. Oxford University Press, Oxford"),
    Reference("burkhard2012", "Burkhard et al. (2012)", "Burkhard, B.; Kroll, F.; Nedkov, S.; Müller, F.", 2012,
              "Mapping ecosystem service supply, demand and budgets", "Ecological Indicators 21:17–29",
              doi="10.1016/j.ecolind.2011.06.019"),
    Reference("costanza1997", "Costanza et al. (1997)",
              "Costanza, R.; d'Arge, R.; de Groot, R.; Farber, S.; Grasso, M.; Hannon, B.; Limburg, K.; Naeem, S.; "
              "O'Neill, R.V.; Paruelo, J.; et al.", 1997,
              "The value of the world's ecosystem services and natural capital", "Nature 387:253–260",
              doi="10.1038/387253a0"),
    Reference("costanza2014", "Costanza et al. (2014)", "Costanza, R.; de Groot, R.; Sutton, P.; et al.", 2014,
              "Changes in the global value of ecosystem services", "Global Environmental Change 26:152–158",
              doi="10.1016/j.gloenvcha.2014.04.002"),
    Reference("peng2017", "Peng et al. (2017)", "Peng et al.", 2017,
              "Composite ecosystem service demand ESD = ConL · lg(PD) · lg(GDPD) from construction-land share, "
              "population density and GDP density", "",
              missing="author list, published title, journal and DOI are not recorded in restoreplan"),
    Reference("moran1950", "Moran (1950)", "Moran, P.A.P.", 1950, "Notes on continuous stochastic phenomena",
              "Biometrika 37(1/2):17–23", doi="10.2307/2332142"),
    Reference("cliff1981", "Cliff and Ord (1981)", "Cliff, A.D.; Ord, J.K.", 1981,
              "Spatial Processes: Models & Applications", "Pion, London"),
    Reference("fisher1958", "Fisher (1958)", "Fisher, W.D.", 1958, "On grouping for maximum homogeneity",
              "Journal of the American Statistical Association 53(284):789–798",
              doi="10.1080/01621459.1958.10501479"),
    Reference("jenks1967", "Jenks (1967)", "Jenks, G.F.", 1967, "The data model concept in statistical mapping",
              "International Yearbook of Cartography 7:186–190"),
    Reference("silverman1986", "Silverman (1986)", "Silverman, B.W.", 1986,
              "Density Estimation for Statistics and Data Analysis", "Chapman and Hall, London"),
    Reference("horn1981", "Horn (1981)", "Horn, B.K.P.", 1981, "Hill shading and the reflectance map",
              "Proceedings of the IEEE 69(1):14–47", doi="10.1109/PROC.1981.11918"),
    Reference("maurer2003", "Maurer et al. (2003)", "Maurer, C.R.; Qi, R.; Raghavan, V.", 2003,
              "A linear time algorithm for computing exact Euclidean distance transforms of binary images in "
              "arbitrary dimensions", "IEEE Transactions on Pattern Analysis and Machine Intelligence 25(2):265–270",
              doi="10.1109/TPAMI.2003.1177156"),
    Reference("pontius2008", "Pontius et al. (2008)", "Pontius, R.G. Jr.; et al.", 2008,
              "Comparing the input, output, and validation maps for several models of land change",
              "The Annals of Regional Science 42:11–37", missing="DOI"),
    Reference("cohen1960", "Cohen (1960)", "Cohen, J.", 1960, "A coefficient of agreement for nominal scales",
              "Educational and Psychological Measurement 20:37–46"),
]

#: key → :class:`Reference`
REFERENCES: dict[str, Reference] = {r.key: r for r in _R}


#: references of the built-in methods (a plugin passes ``references=`` to ``register`` instead)
METHOD_REFERENCES: dict[str, tuple[str, ...]] = {
    # analysis
    "coupling": ("sun2025",),
    "morans_i": ("moran1950", "cliff1981", "sun2025"),
    "pareto": ("niu2025",),
    "scenario_esv": ("niu2025", "xie2015"),
    "sensitivity": ("sun2025",),
    "supply_demand_zoning": ("sun2025", "burkhard2012", "xie2015"),
    "trend": ("sun2025",),
    # core
    "distance_to_classes": ("maurer2003",),
    "distance_to_features": ("maurer2003",),
    "slope": ("horn1981",),
    # land use
    "land_use_simulation": ("liang2021", "pontius2008", "cohen1960"),
    "markov_demand": ("niu2025", "liang2021"),
    "scenario_rules": ("niu2025",),
    "scenario_simulation": ("niu2025", "liang2021", "xie2015"),
    "subsidence": ("niu2025",),
    # multi-criteria analysis
    "entropy_weights": ("sun2025",),
    "normalize": ("sun2025", "dashihe"),
    "priority_index": ("sun2025",),
    # optimization
    "marxan_selection": ("marxan",),
    # priority
    "aco": ("sun2025",),
    "aggregation_filter": ("zhao2023",),
    "cost_index": ("zhao2023",),
    "cost_indicator_scores": ("zhao2023", "jenks1967"),
    "land_use_threats": ("zhao2023", "invest320"),
    "uniform_demand_class": ("zhao2023",),
    "demand_revised_priority": ("zhao2023", "invest320", "marxan"),
    "demand_revision": ("zhao2023",),
    "marxan_priority": ("zhao2023", "marxan"),
    "potential_areas": ("sun2025",),
    "potential_decline": ("zhao2023",),
    "priority_grades": ("zhao2023",),
    "priority_tiers": ("sun2025",),
    # services
    "carbon": ("invest320",),
    "demand_proxy": ("peng2017", "sun2025"),
    "distance_rings": ("zhao2023", "maurer2003"),
    "esv": ("xie2015",),
    "esv_costanza": ("costanza1997", "costanza2014"),
    "geometric_classes": ("zhao2023",),
    "habitat_quality": ("invest320",),
    "jenks_classes": ("jenks1967", "fisher1958"),
    "lulc_matrix": ("burkhard2012", "sun2025"),
    "poi_density": ("silverman1986", "zhao2023"),
    "water_balance": ("zhao2023",),
    "water_yield": ("invest320",),
    # stand-level design
    "stand_capacity": ("dashihe",),
    "stand_diversity": ("dashihe",),
    "stand_dust_days": ("dashihe",),
    "stand_recommended": ("dashihe",),
    "stand_scenarios": ("dashihe",),
    "stand_species_values": ("dashihe",),
    "stand_supply_score": ("dashihe",),
    "stand_tradeoff": ("dashihe",),
}

#: built-in methods that implement no published method (plain GIS or table operations)
GENERIC_OPERATIONS: dict[str, str] = {
    "class_area": "counts cells per class",
    "constant_layer": "writes a uniform layer",
    "difference": "subtracts two rasters",
    "merge_vectors": "stacks vector layers",
    "reclassify": "maps class codes",
    "select_year": "picks one year of a series",
    "stack_years": "stacks rasters of several years",
}


def get_reference(key: str) -> Reference:
    """The reference registered as ``key`` (ConfigError naming the known keys otherwise)."""
    if key not in REFERENCES:
        raise ConfigError(message("reference", f"one of {sorted(REFERENCES)}", repr(key),
                                  "add the record to restoreplan.pipeline.references or fix the key"))
    return REFERENCES[key]


def references_markdown() -> str:
    """The REFERENCES page: every reference, and which registered methods cite it."""
    from . import registry

    cited: dict[str, list[str]] = {}
    for m in registry.all_methods():
        for k in m.references:
            cited.setdefault(k, []).append(m.name)
    lines = ["# References", "",
             "Generated from the method registry by `restoreplan list --references`; do not edit by hand.", ""]
    for r in sorted(REFERENCES.values(), key=lambda r: (r.authors or r.label).lower()):
        lines.append(f"- **{r.label}** — {r.text()}")
        names = cited.get(r.key)
        lines.append(f"  Used by: {', '.join(f'`{n}`' for n in sorted(names))}." if names
                     else "  Cited in the documentation only.")
    return "\n".join(lines) + "\n"
