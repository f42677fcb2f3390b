//! Demo initiatives: three made-up examples of the programme's kinds of action at real places
//! in district 8, so the planning views have something to show. They are synthetic and say so.

use serde_json::{json, Value};

/// The demo initiatives: the GeoJSON Feature and whether it is published.
pub fn initiatives() -> Vec<(Value, bool)> {
    let note_da = "Demo (syntetisk): et opdigtet eksempel, ikke en rigtig indsats.";
    let feature = |geometry: Value, props: Value| {
        let mut f = json!({"type": "Feature", "geometry": geometry, "properties": props});
        f["properties"]["synthetic"] = json!(true);
        f
    };
    vec![
        (
            feature(
                json!({"type": "Polygon", "coordinates": [[
                    [12.55674, 55.68684], [12.558094, 55.686328], [12.557589, 55.68589],
                    [12.556235, 55.686402], [12.55674, 55.68684]
                ]]}),
                json!({
                    "title": "Ny belysning på Blågårds Plads",
                    "description": format!("{note_da} Lys i pladsens mørke hjørner og langs gangforbindelserne."),
                    "kind": "lighting", "start_date": "2012-03-01", "end_date": "2012-06-30",
                    "budget_dkk": 250000, "pool": "Hotspot aktivitetspulje",
                    "owner": "Teknik- og Miljøforvaltningen", "status": "done",
                    "challenge": 3, "goals": [1, 9], "published": true,
                }),
            ),
            true,
        ),
        (
            feature(
                json!({"type": "LineString", "coordinates": [
                    [12.555152, 55.684164], [12.555984, 55.684521], [12.55712, 55.68548],
                    [12.557589, 55.68589], [12.558094, 55.686328], [12.559104, 55.687187],
                    [12.560132, 55.688075]
                ]}),
                json!({
                    "title": "Tryghedsvandring i Blågårdsgade",
                    "description": format!("{note_da} Beboere, politi og forvaltning går gaden igennem efter mørkets frembrud."),
                    "kind": "safety_walk", "start_date": "2011-10-15", "end_date": "2011-10-15",
                    "budget_dkk": 15000, "pool": "Hotspot aktivitetspulje",
                    "owner": "Hotspot-sekretariatet", "status": "done",
                    "challenge": 3, "goals": [9], "published": true,
                }),
            ),
            true,
        ),
        (
            feature(
                json!({"type": "Point", "coordinates": [12.5472, 55.6887]}),
                json!({
                    "title": "Aftenåben klub ved Hans Tavsens Park",
                    "description": format!("{note_da} Klubtilbud til 13–17-årige fredag og lørdag aften."),
                    "kind": "youth_activity", "start_date": "2013-01-01", "end_date": "2014-12-31",
                    "budget_dkk": 400000, "pool": "Hotspot aktivitetspulje",
                    "owner": "Børne- og Ungdomsforvaltningen", "status": "running",
                    "challenge": 2, "goals": [2, 5], "published": false,
                }),
            ),
            false,
        ),
    ]
}
