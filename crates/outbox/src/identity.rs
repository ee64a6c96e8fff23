//! Who did it, on the resources an action makes and on the server: what a person creates names them
//! (`Communication.sender`, `Task.requester`, `CommunicationRequest.requester`), and each delivered
//! action carries a Provenance naming the person and the workstation, in the same transaction.

use serde_json::{json, Value};
use switchboard_core::{Actor, LocalId};

/// The actor as a FHIR reference: the signed-in Practitioner, else their name at this workstation.
pub fn who(actor: &Actor) -> Value {
    match &actor.practitioner {
        Some(reference) => json!({"reference": reference, "display": actor.name}),
        None => json!({"display": format!("{} at {}", actor.name, actor.workstation)}),
    }
}

/// Names the actor on what the action creates, where the resource has an element for it and the
/// action did not already fill it.
pub(crate) fn stamp_created(changed: &mut [Value], actor: &Actor) {
    for resource in changed.iter_mut().filter(|r| r["id"].as_str().is_some_and(LocalId::is_local)) {
        let element = match resource["resourceType"].as_str() {
            Some("Communication") => "sender",
            Some("Task" | "CommunicationRequest") => "requester",
            _ => continue,
        };
        if resource.get(element).is_none() {
            resource[element] = who(actor);
        }
    }
}

/// The id of an action's Provenance: the same on every attempt, so a resent transaction writes it once.
pub(crate) fn provenance_id(action_id: &str) -> String {
    format!("sb-{action_id}")
}

/// The Provenance of an action: its targets ("Type/id", or the `urn:uuid:` of a create in the same
/// Bundle), when it was done, the person as author and Switchboard at the workstation as enterer.
pub(crate) fn provenance(action_id: &str, targets: &[String], recorded: &str, creates: bool, actor: &Actor) -> Value {
    let participant = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    json!({
        "resourceType": "Provenance",
        "id": provenance_id(action_id),
        "target": targets.iter().map(|t| json!({"reference": t})).collect::<Vec<_>>(),
        "recorded": recorded,
        "activity": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "code": if creates { "CREATE" } else { "UPDATE" },
        }]},
        "agent": [
            {"type": {"coding": [{"system": participant, "code": "author"}]}, "who": who(actor)},
            {"type": {"coding": [{"system": participant, "code": "enterer"}]}, "who": {"display": format!("Switchboard at {}", actor.workstation)}},
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(signed_in: bool) -> Actor {
        Actor { practitioner: signed_in.then(|| "Practitioner/ann".to_string()), name: "Ann Lee".into(), workstation: "desk-1".into() }
    }

    #[test]
    fn what_a_person_creates_names_them_and_what_they_change_is_left_alone() {
        let mut changed = vec![
            json!({"resourceType": "Communication", "id": LocalId::for_action("a1").to_string()}),
            json!({"resourceType": "Task", "id": LocalId::for_action("a2").to_string()}),
            json!({"resourceType": "Task", "id": "t-on-server", "status": "in-progress"}),
            json!({"resourceType": "Task", "id": LocalId::for_action("a3").to_string(), "requester": {"display": "a rule"}}),
        ];
        stamp_created(&mut changed, &ann(true));
        assert_eq!(changed[0]["sender"]["reference"], "Practitioner/ann");
        assert_eq!(changed[1]["requester"]["reference"], "Practitioner/ann");
        assert!(changed[2].get("requester").is_none());
        assert_eq!(changed[3]["requester"]["display"], "a rule");
    }

    #[test]
    fn without_sign_in_the_workstation_is_named() {
        assert_eq!(who(&ann(false)), json!({"display": "Ann Lee at desk-1"}));
        let provenance = provenance("a1", &["Task/t1".into()], "now", false, &ann(false));
        assert_eq!(provenance["id"], "sb-a1");
        assert_eq!(provenance["agent"][0]["who"]["display"], "Ann Lee at desk-1");
        assert_eq!(provenance["agent"][1]["who"]["display"], "Switchboard at desk-1");
        assert_eq!(provenance["activity"]["coding"][0]["code"], "UPDATE");
    }
}
