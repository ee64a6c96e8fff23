//! Reading one segment's fields as text: 1-based field, repetition and component numbers, as the
//! standard counts them, with escapes read and the explicit null `""` told apart from an empty field.

use crate::text::{Charset, Separators};
use hl7_parser::message::{Field, Repeat, Segment};

/// The null a sender writes to say "this value is now empty" (an update clears it).
pub const NULL: &str = "\"\"";

#[derive(Clone, Copy)]
pub struct Seg<'a, 'm> {
    pub segment: &'a Segment<'m>,
    pub separators: Separators,
    pub charset: Charset,
}

/// One repetition of a field, read component by component.
#[derive(Clone, Copy)]
pub struct Rep<'a, 'm> {
    repeat: &'a Repeat<'m>,
    separators: Separators,
    charset: Charset,
}

impl<'a, 'm> Seg<'a, 'm> {
    pub fn name(&self) -> &str {
        self.segment.name
    }

    fn field(&self, number: usize) -> Option<&'a Field<'m>> {
        if number == 0 {
            return None;
        }
        self.segment.field(number)
    }

    /// The field as sent (escapes and all).
    pub fn raw(&self, number: usize) -> &'m str {
        self.field(number).map(|f| f.raw_value()).unwrap_or_default()
    }

    /// The field was sent as the explicit null.
    pub fn is_null(&self, number: usize) -> bool {
        self.raw(number) == NULL
    }

    /// The field's repetitions, empty ones left out.
    pub fn reps(&self, number: usize) -> Vec<Rep<'a, 'm>> {
        let (separators, charset) = (self.separators, self.charset);
        self.field(number)
            .map(|f| f.repeats().filter(|r| !r.is_empty() && r.raw_value() != NULL).map(|repeat| Rep { repeat, separators, charset }).collect())
            .unwrap_or_default()
    }

    /// The first repetition, if the field holds a value.
    pub fn first(&self, number: usize) -> Option<Rep<'a, 'm>> {
        self.reps(number).into_iter().next()
    }

    /// One component of the first repetition, as text ("" when absent).
    pub fn get(&self, number: usize, component: usize) -> String {
        self.first(number).map(|r| r.get(component)).unwrap_or_default()
    }

    /// The first component of the field, as text.
    pub fn text(&self, number: usize) -> String {
        self.get(number, 1)
    }
}

impl Rep<'_, '_> {
    /// One component as text, its subcomponents joined by the subcomponent separator.
    pub fn get(&self, number: usize) -> String {
        match self.repeat.component(number).map(|c| c.raw_value()) {
            Some(raw) if raw != NULL => self.separators.unescape(raw, self.charset).trim().to_string(),
            _ => String::new(),
        }
    }

    /// One subcomponent of a component.
    pub fn sub(&self, component: usize, number: usize) -> String {
        let raw = self.repeat.component(component).and_then(|c| c.subcomponent(number)).map(|s| s.raw_value()).unwrap_or_default();
        self.separators.unescape(raw, self.charset).trim().to_string()
    }

    /// The whole repetition as text, components included (for free text).
    pub fn whole(&self) -> String {
        self.separators.unescape(self.repeat.raw_value(), self.charset)
    }
}
