"""Our own typed declaration of an Open Referral HSDS 3.0 ``service`` in the schema's compiled form
(openreferral/specification, schema/compiled/service.json): the service with its nested
organization, phones, languages, schedules, service areas, service_at_locations with their
locations and addresses, contacts, attributes with taxonomy terms, and metadata.

Every model forbids unknown fields and is strict (no "5" for 5, no 5 for "5"), so a file is
accepted only as the schema describes it. Dates, times and date-times are strings in JSON; they
are checked by pattern and kept as the file wrote them, so an export gives back the same text.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

DATE = r"^\d{4}-\d{2}-\d{2}$"
TIME = r"^\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?$"
DATE_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$"

Date = Annotated[str, Field(pattern=DATE)]
Time = Annotated[str, Field(pattern=TIME)]
DateTime = Annotated[str, Field(pattern=DATE_TIME)]
# HSDS says "number" for these: an integer or a decimal, never a string.
Number = float  # strict float takes an int too, never a string


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Metadata(Strict):
    id: str
    resource_id: str | None = None
    resource_type: str | None = None
    last_action_date: Date
    last_action_type: str
    field_name: str
    previous_value: str
    replacement_value: str
    updated_by: str


class Taxonomy(Strict):
    id: str
    name: str
    description: str
    uri: str | None = None
    version: str | None = None
    metadata: list[Metadata] | None = None


class TaxonomyTerm(Strict):
    id: str
    code: str | None = None
    name: str
    description: str
    parent_id: str | None = None
    taxonomy: str | None = None
    taxonomy_detail: Taxonomy | None = None
    language: str | None = None
    taxonomy_id: str | None = None
    term_uri: str | None = None
    metadata: list[Metadata] | None = None


class Attribute(Strict):
    id: str
    link_id: str | None = None
    taxonomy_term_id: str | None = None
    link_type: str | None = None
    link_entity: str | None = None
    value: str | None = None
    taxonomy_term: TaxonomyTerm | None = None
    label: str | None = None
    metadata: list[Metadata] | None = None


class Url(Strict):
    id: str
    label: str | None = None
    url: str
    organization_id: str | None = None
    service_id: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Language(Strict):
    id: str
    service_id: str | None = None
    location_id: str | None = None
    phone_id: str | None = None
    name: str | None = None
    code: str | None = None
    note: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Phone(Strict):
    id: str
    location_id: str | None = None
    service_id: str | None = None
    organization_id: str | None = None
    contact_id: str | None = None
    service_at_location_id: str | None = None
    number: str
    extension: Number | None = None
    type: str | None = None
    description: str | None = None
    languages: list[Language] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Schedule(Strict):
    id: str
    service_id: str | None = None
    location_id: str | None = None
    service_at_location_id: str | None = None
    valid_from: Date | None = None
    valid_to: Date | None = None
    dtstart: Date | None = None
    timezone: Number | None = None
    until: Date | None = None
    count: int | None = None
    wkst: Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"] | None = None
    freq: Literal["WEEKLY", "MONTHLY"] | None = None
    interval: Number | None = None
    byday: str | None = None
    byweekno: str | None = None
    bymonthday: str | None = None
    byyearday: str | None = None
    description: str | None = None
    opens_at: Time | None = None
    closes_at: Time | None = None
    schedule_link: str | None = None
    attending_type: str | None = None
    notes: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Contact(Strict):
    id: str
    organization_id: str | None = None
    service_id: str | None = None
    service_at_location_id: str | None = None
    location_id: str | None = None
    name: str | None = None
    title: str | None = None
    department: str | None = None
    email: str | None = None
    phones: list[Phone] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class ServiceArea(Strict):
    id: str
    service_id: str | None = None
    service_at_location_id: str | None = None
    name: str | None = None
    description: str | None = None
    extent: str | None = None
    extent_type: Literal["geojson", "topojson", "kml", "text"] | None = None
    uri: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Address(Strict):
    id: str
    location_id: str | None = None
    attention: str | None = None
    address_1: str
    address_2: str | None = None
    city: str
    region: str | None = None
    state_province: str
    postal_code: str
    country: str
    address_type: Literal["physical", "postal", "virtual"]
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Accessibility(Strict):
    id: str
    location_id: str | None = None
    description: str | None = None
    details: str | None = None
    url: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Location(Strict):
    id: str
    location_type: Literal["physical", "postal", "virtual"]
    url: str | None = None
    organization_id: str | None = None
    name: str | None = None
    alternate_name: str | None = None
    description: str | None = None
    transportation: str | None = None
    latitude: Number | None = None
    longitude: Number | None = None
    external_identifier: str | None = None
    external_identifier_type: str | None = None
    languages: list[Language] | None = None
    addresses: list[Address] | None = None
    contacts: list[Contact] | None = None
    accessibility: list[Accessibility] | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class ServiceAtLocation(Strict):
    id: str
    service_id: str | None = None
    location_id: str | None = None
    description: str | None = None
    service_areas: list[ServiceArea] | None = None
    contacts: list[Contact] | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None
    location: Location | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Funding(Strict):
    id: str
    organization_id: str | None = None
    service_id: str | None = None
    source: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class CostOption(Strict):
    id: str
    service_id: str | None = None
    valid_from: Date | None = None
    valid_to: Date | None = None
    option: str | None = None
    currency: str | None = None
    amount: Number | None = None
    amount_description: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class RequiredDocument(Strict):
    id: str
    service_id: str | None = None
    document: str | None = None
    uri: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Program(Strict):
    id: str
    organization_id: str | None = None
    name: str
    alternate_name: str | None = None
    description: str
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Unit(Strict):
    id: str
    name: str
    scheme: str | None = None
    identifier: str | None = None
    uri: str | None = None


class Capacity(Strict):
    id: str
    service_id: str | None = None
    unit: Unit
    available: Number
    maximum: Number | None = None
    description: str | None = None
    updated: DateTime
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class OrganizationIdentifier(Strict):
    id: str
    organization_id: str | None = None
    identifier_scheme: str | None = None
    identifier_type: str
    identifier: str
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Organization(Strict):
    """The nested organization of a service (its own services are not repeated inside it)."""

    id: str
    name: str
    alternate_name: str | None = None
    description: str
    email: str | None = None
    website: str | None = None
    additional_websites: list[Url] | None = None
    tax_status: str | None = None
    tax_id: str | None = None
    year_incorporated: Number | None = None
    legal_status: str | None = None
    logo: str | None = None
    uri: str | None = None
    parent_organization_id: str | None = None
    funding: list[Funding] | None = None
    contacts: list[Contact] | None = None
    phones: list[Phone] | None = None
    locations: list[Location] | None = None
    programs: list[Program] | None = None
    organization_identifiers: list[OrganizationIdentifier] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Service(Strict):
    id: str = Field(min_length=1, max_length=64)
    organization_id: str | None = None
    program_id: str | None = None
    name: str = Field(min_length=1)
    alternate_name: str | None = None
    description: str | None = None
    url: str | None = None
    additional_urls: list[Url] | None = None
    email: str | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    interpretation_services: str | None = None
    application_process: str | None = None
    fees_description: str | None = None
    wait_time: str | None = None
    fees: str | None = None
    accreditations: str | None = None
    eligibility_description: str | None = None
    minimum_age: Number | None = None
    maximum_age: Number | None = None
    assured_date: Date | None = None
    assurer_email: str | None = None
    licenses: str | None = None
    alert: str | None = None
    last_modified: DateTime | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None
    service_areas: list[ServiceArea] | None = None
    service_at_locations: list[ServiceAtLocation] | None = None
    languages: list[Language] | None = None
    organization: Organization | None = None
    funding: list[Funding] | None = None
    cost_options: list[CostOption] | None = None
    program: Program | None = None
    required_documents: list[RequiredDocument] | None = None
    contacts: list[Contact] | None = None
    capacities: list[Capacity] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None
