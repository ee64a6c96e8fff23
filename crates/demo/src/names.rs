//! Name and place lists for the demo clinic. Invented combinations; no real person.

pub const GIVEN_FEMALE: &[&str] = &[
    "María", "Ana", "Sofía", "Lucía", "Isabella", "Emma", "Olivia", "Ava", "Mia", "Charlotte", "Amelia", "Harper",
    "Evelyn", "Abigail", "Emily", "Elizabeth", "Sarah", "Grace", "Chloe", "Camila", "Valentina", "Ximena", "Guadalupe",
    "Rosa", "Carmen", "Mei", "Aiko", "Priya", "Fatima", "Aaliyah", "Zoe", "Nora", "Hannah", "Leah", "Ruth", "Joan",
    "Linda", "Patricia", "Barbara", "Susan", "Jessica", "Karen", "Nancy", "Lisa", "Betty", "Dorothy", "Sandra",
    "Ashley", "Kimberly", "Donna", "Michelle", "Renée", "Zoë", "Chiamaka", "Ngozi", "Anh", "Thảo", "Olga",
];

pub const GIVEN_MALE: &[&str] = &[
    "José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Ángel", "Andrés", "James", "John", "Robert", "Michael",
    "William", "David", "Richard", "Joseph", "Thomas", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald",
    "Steven", "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Jason", "Edward",
    "Wei", "Hiroshi", "Raj", "Omar", "Ahmed", "Kwame", "Chinedu", "Minh", "Dmitri", "Liam", "Noah", "Elijah", "Lucas",
    "Mateo", "Santiago", "Diego", "François", "Björn", "Søren",
];

pub const FAMILY: &[&str] = &[
    "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres",
    "Flores", "Rivera", "Gómez", "Díaz", "Núñez", "Muñoz", "Peña", "Castillo", "Ortiz", "Smith", "Johnson",
    "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson",
    "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Nguyen", "Tran",
    "Kim", "Park", "Chen", "Wang", "Li", "Zhang", "Patel", "Shah", "Singh", "Khan", "Ali", "Okafor", "Mensah",
    "O'Brien", "Murphy", "Kowalski", "Novak", "Ivanov", "Müller", "Schmidt", "Rossi", "Dubois", "Andersen", "Yamamoto",
];

pub const STREETS: &[&str] = &[
    "Maple Ave", "Oak St", "Cedar Ln", "Elm St", "Pine Rd", "Washington Blvd", "Lincoln Way", "Park Pl", "Main St",
    "Church St", "Mill Rd", "River Dr", "Sunset Blvd", "Calle Luna", "Harbor Way", "Highland Ave",
];

pub const CITIES: &[(&str, &str, &str)] =
    &[("Springfield", "IL", "62701"), ("Riverton", "IL", "62561"), ("Chatham", "IL", "62629"), ("Rochester", "IL", "62563")];

pub const LOCATIONS: &[&str] = &["Main Street Clinic", "Riverside Family Health", "Northgate Pediatrics & Family Care"];
