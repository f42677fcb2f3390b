// All user-facing texts of the web app, one plain object per language.
//
// To add a language: copy the `en` object, translate the values, add it to MESSAGES under its
// BCP 47 code and to LANGUAGES. Keys missing in a language fall back to English. Labels of incident
// categories and observation kinds come from the API (`label_da`, `label_en`, …); for a language the
// API has no label for, the English label is used.
//
// Values may hold `{name}` placeholders, filled in by `t(key, {name: value})` in app.js.

/** The languages offered in the switch, in order: Danish first. */
export const LANGUAGES = [
  { code: 'da', name: 'Dansk', short: 'DA' },
  { code: 'en', name: 'English', short: 'EN' },
];

export const DEFAULT_LANGUAGE = 'da';

export const MESSAGES = {
  da: {
    locale: 'da-DK',
    pageTitle: 'Hotspot Indre Nørrebro – kort over hændelser og tryghed',
    appTitle: 'Hotspot Indre Nørrebro',
    appSubtitle: 'Hændelser og tryghed 2010–2014',
    languageGroup: 'Sprog',
    syntheticLabel: 'Syntetiske demodata',
    syntheticShort: 'syntetisk',
    syntheticFallback: 'Hændelser og observationer på dette kort er opdigtede eksempeldata, ikke rigtige politidata.',
    mapRegion: 'Kort over Indre Nørrebro med hændelser og observationer',
    panelTitle: 'Filtre og signatur',
    panelShow: 'Vis filtre og signatur',
    panelHide: 'Skjul filtre og signatur',

    periodHeading: 'Periode',
    periodFrom: 'Fra måned',
    periodTo: 'Til måned',
    periodPresets: 'Hurtigvalg af periode',
    presetAll: 'Hele perioden',
    presetBefore: 'Før Hotspot',
    presetDuring: 'Hotspot-perioden',

    categoriesHeading: 'Kategorier',
    categoriesAll: 'Alle',
    categoriesNone: 'Ingen',
    categoriesQuick: 'Vælg alle eller ingen kategorier',

    layersHeading: 'Lag',
    layerObservations: 'Observationer (tryghedsvandringer)',
    layerLighting: 'Gadebelysning (OpenStreetMap)',
    layerRoder: 'Roder (politiets statistikområder)',
    scaleHeading: 'Farveskala for heatmap',
    scaleFixed: 'Fast – sammenlign perioder',
    scaleAuto: 'Tilpasset det valgte',

    legendHeading: 'Signaturforklaring',
    legendHeat: 'Hændelser pr. måned',
    legendHeatLow: 'få',
    legendHeatHigh: 'mange',
    legendHeatNote: 'Heatmap ved oversigt; zoom ind for enkelte hændelser, farvet efter kategori som ovenfor.',
    legendRating: 'Observationer: vurdering',
    legendRating1: '1 meget utrygt',
    legendRating5: '5 godt',
    legendDistrict8: 'Distrikt 8 (Hotspot-området)',
    legendDistricts: 'Andre distrikter',
    legendRoder: 'Roder',
    legendLit: 'Belyst gade',
    legendUnlit: 'Ubelyst gade',

    statusLoading: 'Henter data …',
    statusTotal: '{n} hændelser i den valgte periode og kategorier',
    statusNoCategories: 'Ingen kategorier valgt.',
    statusZoomIn: 'Zoom ind for at se de enkelte hændelser.',
    statusPoints: 'Viser {n} hændelser i kortudsnittet.',
    statusPartial: 'Viser {n} af {m} – zoom ind for at se alle.',
    statusError: 'Kunne ikke hente data: {detail}',

    districtLabel: 'Distrikt 8 · Indre Nørrebro',
    zoomIn: 'Zoom ind',
    zoomOut: 'Zoom ud',
    resetBearing: 'Nulstil retning',
    attribution: 'Vis kilder',

    popupTime: 'Tidspunkt',
    popupPrecision: 'Placering',
    popupSource: 'Kilde',
    popupRating: 'Vurdering',
    popupNote: 'Note',
    popupDate: 'Dato',
    popupMore: '+ {n} flere her',
    ratingOf5: '{n} af 5',
    precision_address: 'adresse',
    precision_street: 'gade (omtrentlig)',
    precision_area: 'område (omtrentlig)',

    aboutHeading: 'Om data',
    aboutText: 'Grænser: Københavns Kommune (CC BY 4.0). Gader: OpenStreetMap (ODbL). Hændelser og observationer er syntetiske og må ikke bruges som fakta.',
    dataVersion: 'Dataversion: {v}',
  },

  en: {
    locale: 'en-GB',
    pageTitle: 'Hotspot Indre Nørrebro – map of incidents and safety',
    appTitle: 'Hotspot Indre Nørrebro',
    appSubtitle: 'Incidents and safety 2010–2014',
    languageGroup: 'Language',
    syntheticLabel: 'Synthetic demo data',
    syntheticShort: 'synthetic',
    syntheticFallback: 'The incidents and observations on this map are made-up sample data, not real police records.',
    mapRegion: 'Map of Indre Nørrebro with incidents and observations',
    panelTitle: 'Filters and legend',
    panelShow: 'Show filters and legend',
    panelHide: 'Hide filters and legend',

    periodHeading: 'Period',
    periodFrom: 'From month',
    periodTo: 'To month',
    periodPresets: 'Period presets',
    presetAll: 'Whole period',
    presetBefore: 'Before Hotspot',
    presetDuring: 'Hotspot period',

    categoriesHeading: 'Categories',
    categoriesAll: 'All',
    categoriesNone: 'None',
    categoriesQuick: 'Select all or no categories',

    layersHeading: 'Layers',
    layerObservations: 'Observations (safety walks)',
    layerLighting: 'Street lighting (OpenStreetMap)',
    layerRoder: 'Roder (police statistical areas)',
    scaleHeading: 'Heatmap colour scale',
    scaleFixed: 'Fixed – compare periods',
    scaleAuto: 'Fitted to the selection',

    legendHeading: 'Legend',
    legendHeat: 'Incidents per month',
    legendHeatLow: 'few',
    legendHeatHigh: 'many',
    legendHeatNote: 'Heatmap when zoomed out; zoom in for single incidents, coloured by category as above.',
    legendRating: 'Observations: rating',
    legendRating1: '1 very unsafe',
    legendRating5: '5 good',
    legendDistrict8: 'District 8 (the Hotspot area)',
    legendDistricts: 'Other districts',
    legendRoder: 'Roder',
    legendLit: 'Lit street',
    legendUnlit: 'Unlit street',

    statusLoading: 'Loading data …',
    statusTotal: '{n} incidents in the chosen period and categories',
    statusNoCategories: 'No categories selected.',
    statusZoomIn: 'Zoom in to see single incidents.',
    statusPoints: 'Showing {n} incidents in the map view.',
    statusPartial: 'Showing {n} of {m} – zoom in to see all.',
    statusError: 'Could not load data: {detail}',

    districtLabel: 'District 8 · Indre Nørrebro',
    zoomIn: 'Zoom in',
    zoomOut: 'Zoom out',
    resetBearing: 'Reset bearing to north',
    attribution: 'Show sources',

    popupTime: 'Time',
    popupPrecision: 'Location',
    popupSource: 'Source',
    popupRating: 'Rating',
    popupNote: 'Note',
    popupDate: 'Date',
    popupMore: '+ {n} more here',
    ratingOf5: '{n} of 5',
    precision_address: 'address',
    precision_street: 'street (approximate)',
    precision_area: 'area (approximate)',

    aboutHeading: 'About the data',
    aboutText: 'Boundaries: City of Copenhagen (CC BY 4.0). Streets: OpenStreetMap (ODbL). Incidents and observations are synthetic and must not be used as facts.',
    dataVersion: 'Data version: {v}',
  },
};
