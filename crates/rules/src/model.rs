//! Rules as data: the built-in set, overridden by `rules.toml` in the config directory. A file is
//! checked whole before anything of it is used; every error names the rule, the field and the problem.

use crate::hours::{Clinic, RawClinic};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::time::Duration;
use switchboard_core::TaskPriority;

pub const BUILTIN: &str = include_str!("builtin.toml");

const FLAGS: &[&str] = &["normal", "abnormal", "critical"];
const PLACEHOLDERS: &[&str] = &["{test}", "{value}", "{flag}", "{start}", "{owner}"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// A lab result (Observation) created or changed.
    Result,
    /// An appointment marked no-show.
    NoShow,
    /// A task made by another rule completed.
    TaskCompleted,
    /// Time: a booked appointment starts within `before`.
    AppointmentDue,
    /// Time: a ServiceRequest's date has passed and nothing is booked.
    FollowUpDue,
    /// Time: an open task is past its due time.
    TaskOverdue,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dedupe {
    #[default]
    Resource,
    Patient,
}

/// When a task is due: a fixed time after the trigger, or in clinic business days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    After(Duration),
    BusinessDays(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub owner: String,
    /// A `TaskPriority` word, checked when the file loads (the check names the field).
    pub priority: String,
    pub due: String,
    pub text: String,
}

impl TaskSpec {
    /// The task's priority (checked when the file loaded).
    pub fn priority(&self) -> TaskPriority {
        self.priority.parse().unwrap_or(TaskPriority::Routine)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSpec {
    pub about: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSpec {
    pub to: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EscalateSpec {
    /// Who is alerted; `{owner}` is the task's owner ("Nurse pool lead").
    pub alert_to: String,
    pub text: String,
}

/// Where an active rule comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase", tag = "kind", content = "file")]
pub enum Origin {
    Builtin,
    File(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    #[serde(default)]
    pub description: String,
    pub on: Trigger,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Results: normal, abnormal or critical (by interpretation, else reference range).
    #[serde(default)]
    pub flag: Vec<String>,
    /// Results: the statuses that count (default final, amended, corrected).
    #[serde(default)]
    pub status: Vec<String>,
    /// Results and follow-ups: LOINC (or other) codes; empty means any.
    #[serde(default)]
    pub codes: Vec<String>,
    #[serde(default)]
    pub min_age: Option<u32>,
    #[serde(default)]
    pub max_age: Option<u32>,
    /// Appointment reminders: how long before the start, e.g. "72h".
    #[serde(default)]
    pub before: Option<String>,
    /// Completed tasks: made by one of these rules.
    #[serde(default)]
    pub after_rule: Vec<String>,
    /// What makes an output the same one: `resource` (default: one per triggering resource) or
    /// `patient` (one per patient, however many resources trigger the rule).
    #[serde(default)]
    pub dedupe: Dedupe,
    pub task: Option<TaskSpec>,
    pub reminder: Option<ReminderSpec>,
    pub alert: Option<AlertSpec>,
    pub escalate: Option<EscalateSpec>,
    #[serde(skip_deserializing, default = "builtin")]
    pub origin: Origin,
}

fn enabled() -> bool {
    true
}

fn builtin() -> Origin {
    Origin::Builtin
}

impl Rule {
    pub fn statuses(&self) -> Vec<&str> {
        match self.status.is_empty() {
            true => vec!["final", "amended", "corrected"],
            false => self.status.iter().map(String::as_str).collect(),
        }
    }

    pub fn before(&self) -> Option<Duration> {
        self.before.as_deref().and_then(|b| parse_duration(b).ok())
    }

    pub fn task_due(&self) -> Option<Due> {
        self.task.as_ref().and_then(|t| parse_due(&t.due).ok())
    }
}

/// A rule as the settings screen and `rules list` show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct RuleView {
    pub id: String,
    pub description: String,
    pub on: Trigger,
    /// What it makes, in words: "task for Nurse pool, stat, due 1h".
    pub makes: String,
    pub origin: Origin,
}

impl Rule {
    pub fn view(&self) -> RuleView {
        let mut makes = Vec::new();
        if let Some(t) = &self.task {
            makes.push(format!("task for {}, {}, due {}", t.owner, t.priority, t.due));
        }
        if self.reminder.is_some() {
            makes.push("reminder to the patient".to_string());
        }
        if let Some(a) = &self.alert {
            makes.push(format!("alert to {}", a.to));
        }
        if let Some(e) = &self.escalate {
            makes.push(format!("priority raised, alert to {}", e.alert_to));
        }
        RuleView { id: self.id.clone(), description: self.description.clone(), on: self.on, makes: makes.join("; "), origin: self.origin.clone() }
    }
}

/// The active rules and the clinic's hours.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub clinic: Clinic,
    /// Where rule-made tasks and reminders go when the clinic keeps its shared work in one source
    /// (set from config.toml's roles, not from rules.toml).
    pub work: Option<WorkRouting>,
}

/// The shared-work source, and each source's base URL, by which a task there names what fired it in
/// another system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkRouting {
    pub source: String,
    pub bases: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    pub file: String,
    pub line: Option<usize>,
    pub rule: Option<String>,
    pub field: Option<String>,
    pub problem: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rules file {}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ", rule `{rule}`")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for RulesError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    clinic: Option<toml::Value>,
    #[serde(default)]
    rule: Vec<toml::Value>,
}

/// The built-in rules, overridden by the file when it exists.
pub fn load_rules(file: &Path) -> Result<RuleSet, RulesError> {
    let builtin = parse_rules("built-in rules", BUILTIN, Origin::Builtin)?;
    match std::fs::read_to_string(file) {
        Ok(text) => {
            let name = file.display().to_string();
            let own = parse_rules(&name, &text, Origin::File(name.clone()))?;
            Ok(merge(builtin, own, text.contains("[clinic]")))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(builtin),
        Err(e) => Err(RulesError { file: file.display().to_string(), line: None, rule: None, field: None, problem: e.to_string() }),
    }
}

/// File rules replace built-ins of the same id, or are added; disabled ones drop out.
fn merge(builtin: RuleSet, own: RuleSet, own_clinic: bool) -> RuleSet {
    let mut rules = builtin.rules;
    for rule in own.rules {
        match rules.iter_mut().find(|r| r.id == rule.id) {
            Some(slot) => *slot = rule,
            None => rules.push(rule),
        }
    }
    rules.retain(|r| r.enabled);
    RuleSet { rules, clinic: if own_clinic { own.clinic } else { builtin.clinic }, work: None }
}

/// Parses and checks one rules file. Nothing of a bad file is returned.
pub fn parse_rules(file: &str, text: &str, origin: Origin) -> Result<RuleSet, RulesError> {
    let error = |rule: Option<&str>, field: Option<&str>, problem: String| RulesError {
        file: file.to_string(),
        line: None,
        rule: rule.map(str::to_string),
        field: field.map(str::to_string),
        problem,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| RulesError {
        file: file.to_string(),
        line: e.span().map(|s| text[..s.start].lines().count().max(1)),
        rule: None,
        field: None,
        problem: e.message().to_string(),
    })?;
    let clinic = match raw.clinic {
        Some(value) => {
            let raw: RawClinic = value.try_into().map_err(|e: toml::de::Error| error(None, Some("clinic"), e.message().to_string()))?;
            Clinic::from_raw(raw).map_err(|(field, problem)| error(None, Some(&format!("clinic.{field}")), problem))?
        }
        None => Clinic::default(),
    };
    let mut rules: Vec<Rule> = Vec::new();
    for (index, value) in raw.rule.into_iter().enumerate() {
        let id = value.get("id").and_then(toml::Value::as_str).map(str::to_string);
        let name = id.clone().unwrap_or_else(|| format!("#{}", index + 1));
        let mut rule: Rule = value.try_into().map_err(|e: toml::de::Error| {
            let message = e.message().to_string();
            let field = message.split('`').nth(1).map(str::to_string);
            error(Some(&name), field.as_deref(), message)
        })?;
        rule.origin = origin.clone();
        check(&rule).map_err(|(field, problem)| error(Some(&name), Some(field), problem))?;
        if rules.iter().any(|r| r.id == rule.id) {
            return Err(error(Some(&name), Some("id"), "another rule in this file has the same id".into()));
        }
        rules.push(rule);
    }
    Ok(RuleSet { rules, clinic, work: None })
}

/// The checks serde cannot make: known values, durations, one action that fits the trigger.
fn check(rule: &Rule) -> Result<(), (&'static str, String)> {
    if rule.id.is_empty() || !rule.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(("id", "use letters, digits, - and _".into()));
    }
    for flag in &rule.flag {
        if !FLAGS.contains(&flag.as_str()) {
            return Err(("flag", format!("`{flag}` is not one of {}", FLAGS.join(", "))));
        }
    }
    if let (Some(min), Some(max)) = (rule.min_age, rule.max_age) {
        if min > max {
            return Err(("min_age", format!("{min} is above max_age {max}")));
        }
    }
    if let Some(before) = &rule.before {
        parse_duration(before).map_err(|p| ("before", p))?;
    }
    if let Some(task) = &rule.task {
        task.priority.parse::<TaskPriority>().map_err(|p| ("task.priority", p))?;
        parse_due(&task.due).map_err(|p| ("task.due", p))?;
        check_text(&task.text).map_err(|p| ("task.text", p))?;
        if task.owner.trim().is_empty() {
            return Err(("task.owner", "a task needs an owner role".into()));
        }
    }
    if let Some(reminder) = &rule.reminder {
        check_text(&reminder.about).map_err(|p| ("reminder.about", p))?;
    }
    if let Some(alert) = &rule.alert {
        check_text(&alert.text).map_err(|p| ("alert.text", p))?;
    }
    if let Some(escalate) = &rule.escalate {
        check_text(&escalate.text).map_err(|p| ("escalate.text", p))?;
    }
    let actions = [rule.task.is_some(), rule.reminder.is_some(), rule.alert.is_some(), rule.escalate.is_some()];
    if !actions.contains(&true) {
        return Err(("task", "a rule needs an action: task, reminder, alert or escalate".into()));
    }
    match rule.on {
        Trigger::AppointmentDue if rule.before.is_none() => Err(("before", "an appointment-due rule says how long before, e.g. \"24h\"".into())),
        Trigger::AppointmentDue if rule.reminder.is_none() => Err(("reminder", "an appointment-due rule sends a reminder".into())),
        Trigger::TaskOverdue if rule.escalate.is_none() => Err(("escalate", "a task-overdue rule escalates".into())),
        Trigger::TaskCompleted if rule.after_rule.is_empty() => Err(("after_rule", "name the rules whose tasks count".into())),
        Trigger::Result if rule.flag.is_empty() => Err(("flag", "say which results count: normal, abnormal, critical".into())),
        trigger if trigger != Trigger::TaskOverdue && rule.escalate.is_some() => Err(("escalate", "only task-overdue rules escalate".into())),
        _ => Ok(()),
    }
}

fn check_text(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').ok_or_else(|| "a `{` without its `}`".to_string())? + start;
        let placeholder = &rest[start..=end];
        if !PLACEHOLDERS.contains(&placeholder) {
            return Err(format!("unknown placeholder {placeholder} (known: {})", PLACEHOLDERS.join(", ")));
        }
        rest = &rest[end + 1..];
    }
    match text.trim().is_empty() {
        true => Err("the text is empty".into()),
        false => Ok(()),
    }
}

/// "90m", "1h", "72h", "2d".
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let problem = || format!("`{text}` is not a duration like 30m, 1h, 72h or 2d");
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).ok_or_else(problem)?);
    let number: u64 = number.parse().map_err(|_| problem())?;
    let seconds = match unit.trim() {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(problem()),
    };
    match number {
        0 => Err(problem()),
        n => Ok(Duration::from_secs(n * seconds)),
    }
}

/// A duration, or "N business day(s)".
fn parse_due(text: &str) -> Result<Due, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if let [count, "business", "day" | "days"] = words.as_slice() {
        return match count.parse::<u32>() {
            Ok(n) if n > 0 => Ok(Due::BusinessDays(n)),
            _ => Err(format!("`{text}`: the number of business days must be 1 or more")),
        };
    }
    parse_duration(text).map(Due::After).map_err(|_| format!("`{text}` is not a due time like 1h, 2d or 1 business day"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> String {
        parse_rules("rules.toml", text, Origin::File("rules.toml".into())).unwrap_err().to_string()
    }

    #[test]
    fn the_builtin_rules_load() {
        let set = parse_rules("built-in", BUILTIN, Origin::Builtin).unwrap();
        assert_eq!(set.rules.len(), 9);
        assert!(set.rules.iter().all(|r| r.origin == Origin::Builtin));
    }

    #[test]
    fn each_error_names_the_rule_the_field_and_the_problem() {
        let base = "[[rule]]\nid = \"r1\"\non = \"result\"\nflag = [\"critical\"]\n";
        assert_eq!(
            errors(&format!("{base}task = {{ owner = \"Nurse pool\", priority = \"urgnt\", due = \"1h\", text = \"x\" }}")),
            "rules file rules.toml, rule `r1`, field `task.priority`: `urgnt` is not one of routine, urgent, asap, stat"
        );
        assert_eq!(
            errors(&format!("{base}task = {{ owner = \"N\", priority = \"stat\", due = \"soon\", text = \"x\" }}")),
            "rules file rules.toml, rule `r1`, field `task.due`: `soon` is not a due time like 1h, 2d or 1 business day"
        );
        assert_eq!(
            errors(&format!("{base}reminder = {{ about = \"Hi {{name}}\" }}")),
            "rules file rules.toml, rule `r1`, field `reminder.about`: unknown placeholder {name} (known: {test}, {value}, {flag}, {start}, {owner})"
        );
        assert_eq!(errors(base), "rules file rules.toml, rule `r1`, field `task`: a rule needs an action: task, reminder, alert or escalate");
        assert!(errors(&format!("{base}colour = 1\nalert = {{ to = \"x\", text = \"y\" }}"))
            .starts_with("rules file rules.toml, rule `r1`, field `colour`: unknown field `colour`"));
        assert!(errors("[[rule]]\nid = \"r2\"\non = \"lunar\"\n").starts_with("rules file rules.toml, rule `r2`, field `lunar`: unknown variant `lunar`"));
        assert_eq!(
            errors("[[rule]]\nid = \"r3\"\non = \"appointment-due\"\nreminder = { about = \"x\" }\n"),
            "rules file rules.toml, rule `r3`, field `before`: an appointment-due rule says how long before, e.g. \"24h\""
        );
        assert_eq!(errors("[[rule]\nid = 1"), "rules file rules.toml, line 1: unclosed array table, expected `]`");
        assert_eq!(
            errors("[clinic]\ntimezone = \"Mars/Olympus\""),
            "rules file rules.toml, field `clinic.timezone`: `Mars/Olympus` is not a time zone (e.g. America/Chicago)"
        );
    }

    #[test]
    fn a_file_overrides_disables_and_adds_and_a_bad_one_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("sb-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("rules.toml");
        std::fs::write(&file, "[[rule]]\nid = \"normal-result-notice\"\non = \"result\"\nenabled = false\nflag = [\"normal\"]\nreminder = { about = \"x\" }\n\
            [[rule]]\nid = \"critical-result-callback\"\non = \"result\"\nflag = [\"critical\"]\ntask = { owner = \"On-call nurse\", priority = \"stat\", due = \"30m\", text = \"Call now: {test}\" }\n").unwrap();
        let set = load_rules(&file).unwrap();
        assert!(!set.rules.iter().any(|r| r.id == "normal-result-notice"));
        let critical = set.rules.iter().find(|r| r.id == "critical-result-callback").unwrap();
        assert_eq!(critical.task.as_ref().unwrap().owner, "On-call nurse");
        assert_eq!(critical.origin, Origin::File(file.display().to_string()));
        assert_eq!(set.rules.len(), 8);

        std::fs::write(&file, "[[rule]]\nid = \"ok\"\non = \"no-show\"\nalert = { to = \"x\", text = \"y\" }\n[[rule]]\nid = \"bad\"\non = \"no-show\"\n")
            .unwrap();
        assert!(load_rules(&file).unwrap_err().to_string().contains("rule `bad`"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn durations_and_due_times() {
        assert_eq!(parse_due("1h"), Ok(Due::After(Duration::from_secs(3600))));
        assert_eq!(parse_due("2 business days"), Ok(Due::BusinessDays(2)));
        assert!(parse_due("0 business days").is_err());
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn the_dedupe_key_is_per_resource_unless_the_rule_says_patient() {
        let set = parse_rules(
            "r.toml",
            "[[rule]]\nid = \"one-per-patient\"\non = \"result\"\nflag = [\"abnormal\"]\ndedupe = \"patient\"\nalert = { to = \"x\", text = \"y\" }\n",
            Origin::Builtin,
        )
        .unwrap();
        assert_eq!(set.rules[0].dedupe, Dedupe::Patient);
        assert!(errors("[[rule]]\nid = \"r\"\non = \"no-show\"\ndedupe = \"visit\"\nalert = { to = \"x\", text = \"y\" }\n")
            .contains("field `visit`: unknown variant `visit`, expected `resource` or `patient`"));
    }
}
