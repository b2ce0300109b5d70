// The OMS JSON Schemas, embedded so the relay binary validates with exactly the files in `Schemas/`.
// A test (OMSValidatorTests) fails when a copy here differs from its file: after editing a schema, paste it
// here again (`Schemas/<name>.schema.json` between the #""" markers).

extension OMSValidator {
    /// `Schemas/return-ack.schema.json`.
    public static let returnAckSchemaText = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://relay.example/schemas/return-ack.schema.json",
  "title": "Return Order Ack",
  "description": "The Increff 'Return Order Ack' body (seeds 000/002): return order processing details, sent after the return is received and QC'd at the warehouse. The OMS POSTs it to /v1/clients/{clientId}/return-acks; the relay validates it against this schema and delivers it by PUT to the client's return-ack URL (docs/CONTRACT.md §5). Required fields are the seed's 'yes' rows. Seed ambiguity resolved here: `imageUrls` 'will only be populated in case that item has been marked as fail', so with qcStatus PASS it must be absent, null or empty; `qcReason` and `imageUrls` may be null (optional fields that Java-style serialisers send as null).",
  "type": "object",
  "additionalProperties": false,
  "required": ["returnOrderCode", "forwardOrderCode", "locationCode", "orderItems"],
  "properties": {
    "returnOrderCode": {
      "description": "Unique code used by the channel to identify the return order.",
      "type": "string",
      "minLength": 1
    },
    "forwardOrderCode": {
      "description": "Forward order code associated with the return order (at most 256 characters: the relay keys deliveries by it).",
      "type": "string",
      "minLength": 1,
      "maxLength": 256
    },
    "locationCode": {
      "description": "Location code of the warehouse where the return order was received.",
      "type": "string",
      "minLength": 1
    },
    "orderItems": {
      "description": "The return items processed.",
      "type": "array",
      "minItems": 1,
      "items": { "$ref": "#/$defs/orderItem" }
    }
  },
  "$defs": {
    "orderItem": {
      "description": "One processed return item.",
      "type": "object",
      "additionalProperties": false,
      "required": ["itemCode", "channelSkuCode", "qcStatus"],
      "properties": {
        "itemCode": {
          "description": "Unique code used by the channel to identify the return order item.",
          "type": "string",
          "minLength": 1
        },
        "channelSkuCode": {
          "description": "SKU code of the return order item.",
          "type": "string",
          "minLength": 1
        },
        "qcStatus": {
          "description": "QC result of the item.",
          "enum": ["PASS", "FAIL"]
        },
        "qcReason": {
          "description": "Why the item was marked QC fail (e.g. DAMAGED).",
          "type": ["string", "null"]
        },
        "imageUrls": {
          "description": "URLs of images of the item; only populated when qcStatus is FAIL.",
          "type": ["array", "null"],
          "items": { "type": "string" }
        }
      },
      "if": {
        "required": ["qcStatus"],
        "properties": { "qcStatus": { "const": "PASS" } }
      },
      "then": {
        "properties": {
          "imageUrls": {
            "description": "Not populated for a PASS item.",
            "anyOf": [{ "type": "null" }, { "type": "array", "maxItems": 0 }]
          }
        }
      }
    }
  }
}
"""#

    /// `Schemas/invoice-notification.schema.json`.
    public static let invoiceSchemaText = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://relay.example/schemas/invoice-notification.schema.json",
  "title": "Invoice notification (INVOICE_GENERATED)",
  "description": "The Increff 'Request (Invoice Notification Payload)' (seeds 000/002): sent when an invoice or credit note is generated. The OMS POSTs it to /v1/clients/{clientId}/invoices and the relay delivers it unchanged to the client's notification URL (docs/CONTRACT.md §5). Every field of the seed's table is mandatory. Seed ambiguities resolved here: `invoiceId` is documented as String but the seed example sends the number 123, so both a string and an integer are accepted; `documentUrl` is '' in one seed copy and a URL in the other, so any string is accepted.",
  "type": "object",
  "additionalProperties": false,
  "required": ["forwardOrderCode", "forwardShipmentCode", "notificationType", "notificationUpdateTime", "invoiceData"],
  "properties": {
    "forwardOrderCode": {
      "description": "Forward order code (at most 256 characters: the relay keys deliveries by it).",
      "type": "string",
      "minLength": 1,
      "maxLength": 256
    },
    "forwardShipmentCode": {
      "description": "Forward shipment code (mandatory for invoices, unlike shipment notifications).",
      "type": "string",
      "minLength": 1
    },
    "notificationType": {
      "description": "Always INVOICE_GENERATED for this payload.",
      "const": "INVOICE_GENERATED"
    },
    "notificationUpdateTime": {
      "description": "Epoch seconds (the seed's Long 'Epoch timestamp at which notification was received'). The upper bound rejects epoch milliseconds.",
      "type": "integer",
      "minimum": 1000000000,
      "maximum": 9999999999
    },
    "invoiceData": {
      "description": "The invoice document details (the seed's 'PushInvoice' object).",
      "type": "object",
      "additionalProperties": false,
      "required": ["invoiceId", "invoiceStatus", "documentType", "documentUrl"],
      "properties": {
        "invoiceId": {
          "description": "Id of the generated invoice. String per the seed's table, number in the seed's example: both accepted.",
          "type": ["string", "integer"]
        },
        "invoiceStatus": {
          "description": "Status of the invoice, e.g. CREATED.",
          "type": "string",
          "minLength": 1,
          "examples": ["CREATED"]
        },
        "documentType": {
          "description": "Invoice or credit note: the seed documents an invoice or a credit note (issue #13 decision 12 closes the list).",
          "type": "string",
          "enum": ["INVOICE", "CREDIT_NOTE"]
        },
        "documentUrl": {
          "description": "URL of the invoice document (the seed shows both '' and an https URL).",
          "type": "string",
          "examples": ["https://invoice.com/dummy/pdf"]
        }
      }
    }
  }
}
"""#

    /// `Schemas/order-posting.schema.json`.
    public static let orderPostingSchemaText = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://relay.example/schemas/order-posting.schema.json",
  "title": "Outward order posting",
  "description": "The Increff outward order posting (seed 003): details of a sales order at one of its lifecycle triggers, sent from the OMS to the channel/ERP. The OMS POSTs it to /v1/clients/{clientId}/order-postings; the relay delivers it unchanged by POST to the client's order_posting endpoint, idempotent on `messageId` (the client should also dedupe on shipments[].shipmentCode: once invoiced, a shipment appears in every later posting). A 2xx answer whose body (see $defs/response) says hasError: true counts as a failed attempt (docs/CONTRACT.md §5). Required fields are the seed table's 'Yes' rows. Extra keys are allowed (the posting evolves and is forwarded as-is). Seed ambiguities resolved here: `bundledSkuDefinitions` is marked mandatory in the table but absent from the OUTWARD_ORDER_CREATE example (which has `virtualSkuDefinitions`), so both are optional; `shipmentItems.locationCode` is marked mandatory but no example has it (the examples carry shipments[].locationCode), so it is optional; `shipmentDetails` is documented under shipments[] but the examples put it at the top level, so both places are accepted; `orderTime` is described as 'UNIX (UTC)' but exemplified as ISO-8601, so a string or an integer is accepted; `orderType` is an open string because the seed's own example is the literal 'SO/STO/RTV'; the seed spells both `channelMetadata` and `channelMetaData`; `shipments` is not in the table (only its sub-fields) and a posting made before invoicing has no shipment, so it is optional, but every shipment must carry its `shipmentCode` (the idempotency key the seed asks for) and `shipmentItems`.",
  "type": "object",
  "required": [
    "partnerCode",
    "partnerLocationCode",
    "isPriority",
    "locationCode",
    "orderCode",
    "channelName",
    "orderTime",
    "orderType",
    "messageId",
    "paymentMethod",
    "eventTime",
    "eventType",
    "orderItems",
    "shippingAddress",
    "billingAddress"
  ],
  "properties": {
    "partnerCode": {
      "description": "Partner the order was shipped to: customer code (SO/STO), vendor code (RTV), or the ERP channel name for marketplace orders.",
      "type": "string",
      "minLength": 1
    },
    "partnerLocationCode": {
      "description": "Partner location the order was shipped to.",
      "type": "string"
    },
    "locationCode": {
      "description": "Warehouse location from which the order was fulfilled.",
      "type": "string",
      "minLength": 1
    },
    "orderCode": {
      "description": "Unique code used by the channel to identify the order (at most 256 characters: the relay keys deliveries by it).",
      "type": "string",
      "minLength": 1,
      "maxLength": 256
    },
    "parentOrderCode": {
      "description": "Parent order code; may be null, empty or duplicated across orders.",
      "type": ["string", "null"]
    },
    "isPriority": {
      "description": "Whether the order is a priority order.",
      "type": "boolean"
    },
    "channelName": {
      "description": "Channel name of the marketplace.",
      "type": "string",
      "minLength": 1
    },
    "orderTime": {
      "description": "Time the order was placed at the channel: ISO-8601 in the seed's examples, 'UNIX (UTC)' in its table.",
      "type": ["string", "integer"],
      "examples": ["2020-10-16T20:22:28.000+00:00"]
    },
    "orderType": {
      "description": "SO (sales order), STO (stock transfer order), RTV (return to vendor), RPO (replacement).",
      "type": "string",
      "minLength": 1,
      "examples": ["SO", "STO", "RTV", "RPO"]
    },
    "messageId": {
      "description": "Unique identifier of this posting (Long), for de-duplication; the relay is idempotent on it.",
      "type": "integer"
    },
    "paymentMethod": {
      "description": "COD or NCOD (not cash on delivery).",
      "enum": ["COD", "NCOD"]
    },
    "eventType": {
      "description": "Trigger of the posting. Known values: OUTWARD_ORDER_CREATE, OUTWARD_ORDER_CANCEL, OUTWARD_ORDER_PARTIAL_CANCEL, OUTWARD_ORDER_COMPLETE, OUTWARD_ORDER_SHIPMENT_DISPATCH, OUTWARD_ORDER_SHIPMENT_DELIVER. Open set: a new OUTWARD_ORDER_* trigger is accepted.",
      "type": "string",
      "pattern": "^OUTWARD_ORDER_[A-Z_]+$",
      "examples": ["OUTWARD_ORDER_CREATE", "OUTWARD_ORDER_CANCEL", "OUTWARD_ORDER_PARTIAL_CANCEL", "OUTWARD_ORDER_COMPLETE", "OUTWARD_ORDER_SHIPMENT_DISPATCH", "OUTWARD_ORDER_SHIPMENT_DELIVER"]
    },
    "eventTime": {
      "description": "Time of the event (ISO-8601 in the seed).",
      "type": "string",
      "minLength": 1
    },
    "omsOrderId": {
      "description": "Internal order id of the OMS (Long).",
      "type": ["integer", "null"]
    },
    "turnAroundTime": {
      "description": "Turnaround time (ZonedDateTime).",
      "type": ["string", "null"]
    },
    "virtualSkuDefinitions": {
      "description": "Virtual (kit) SKU definitions, as in the seed's examples.",
      "type": ["array", "null"],
      "items": {
        "type": "object",
        "properties": {
          "virtualParentChannelSkuId": { "type": "string" },
          "virtualParentBarcode": { "type": ["string", "null"] },
          "childSkus": { "type": "array", "items": { "$ref": "#/$defs/childSku" } }
        }
      }
    },
    "bundledSkuDefinitions": {
      "description": "Bundled SKU definitions (newer revision of the seed; optional, see the schema description).",
      "type": ["array", "null"],
      "items": {
        "type": "object",
        "required": ["bundledParentChannelSkuId", "childSkus"],
        "properties": {
          "bundledParentBarcode": { "description": "Unique barcode of the bundled SKU.", "type": ["string", "null"] },
          "bundledParentChannelSkuId": { "description": "Unique identifier of the bundled SKU at the channel.", "type": "string" },
          "childSkus": { "description": "Child SKUs.", "type": "array", "items": { "$ref": "#/$defs/childSku" } }
        }
      }
    },
    "isSplitRequired": {
      "description": "Whether the order must be split; a string 'true'/'false' in the seed.",
      "type": ["string", "boolean"]
    },
    "shippingCharges": {
      "description": "Shipping charges of the order.",
      "type": ["number", "null"]
    },
    "channelType": {
      "description": "Channel type, e.g. ERP.",
      "type": ["string", "null"]
    },
    "orderItems": {
      "description": "Order items.",
      "type": "array",
      "minItems": 1,
      "items": { "$ref": "#/$defs/orderItem" }
    },
    "shipments": {
      "description": "Shipments of the order; absent or empty before invoicing.",
      "type": ["array", "null"],
      "items": { "$ref": "#/$defs/shipment" }
    },
    "shipmentDetails": {
      "$ref": "#/$defs/shipmentDetails"
    },
    "shippingAddress": {
      "description": "Shipping address of the customer.",
      "$ref": "#/$defs/address"
    },
    "billingAddress": {
      "description": "Billing address of the customer.",
      "$ref": "#/$defs/address"
    },
    "orderCustomAttributes": {
      "description": "Custom attributes of the order (attribute1..attribute10, channelMetadata, currency).",
      "$ref": "#/$defs/customAttributes"
    }
  },
  "$defs": {
    "childSku": {
      "description": "A child SKU of a virtual or bundled SKU.",
      "type": "object",
      "properties": {
        "barcode": { "type": ["string", "null"] },
        "channelSkuCode": { "type": ["string", "null"] },
        "qty": { "type": ["integer", "null"], "minimum": 0 }
      }
    },
    "orderItem": {
      "description": "One order line.",
      "type": "object",
      "required": ["orderItemCode", "channelSkuCode", "orderedQuantity", "cancelledQuantity", "sellingPricePerUnit", "barcode"],
      "properties": {
        "orderItemCode": { "description": "Channel's unique id of the order item.", "type": "string", "minLength": 1 },
        "channelSkuCode": { "description": "SKU code of the order item (the table spells it channelskuCode).", "type": "string", "minLength": 1 },
        "orderedQuantity": { "description": "Ordered quantity.", "type": "integer", "minimum": 0 },
        "cancelledQuantity": { "description": "Cancelled quantity.", "type": "integer", "minimum": 0 },
        "sellingPricePerUnit": { "description": "Selling price per unit.", "type": "number" },
        "giftChargePerUnit": { "type": ["number", "null"] },
        "channelDiscount": { "description": "Discount provided by the channel per unit.", "type": ["number", "null"] },
        "sellerDiscount": { "description": "Discount provided by the seller per unit.", "type": ["number", "null"] },
        "shippingCharge": { "type": ["number", "null"] },
        "omsItemId": { "description": "Internal item id of the OMS (Long).", "type": ["integer", "null"] },
        "barcode": { "description": "Barcode of the product.", "type": "string" },
        "orderItemCustomAttributes": { "$ref": "#/$defs/customAttributes" }
      }
    },
    "customAttributes": {
      "description": "attribute1..attribute10 (strings), channelMetadata / channelMetaData (free object), currency (order level).",
      "type": ["object", "null"],
      "patternProperties": {
        "^attribute[0-9]+$": { "type": ["string", "null"] }
      },
      "properties": {
        "channelMetadata": { "type": ["object", "null"] },
        "channelMetaData": { "type": ["object", "null"] },
        "currency": { "type": ["string", "null"] }
      }
    },
    "shipment": {
      "description": "One shipment of the order.",
      "type": "object",
      "required": ["shipmentCode", "shipmentItems"],
      "properties": {
        "shipmentCode": { "description": "Unique shipment code; the client dedupes shipments on it.", "type": "string", "minLength": 1 },
        "locationCode": { "description": "Fulfilment location of the shipment.", "type": ["string", "null"] },
        "generatedInvoiceId": { "type": ["string", "null"] },
        "generatedInvoiceDate": { "type": ["string", "null"] },
        "externalInvoiceId": { "type": ["string", "null"] },
        "externalInvoiceDate": { "type": ["string", "null"] },
        "invoiceDocumentUrl": { "type": ["string", "null"] },
        "shippingLabelDocumentUrl": { "type": ["string", "null"] },
        "irn": { "description": "IRN generated on the government portal while e-invoicing.", "type": ["string", "null"] },
        "qrCode": { "description": "QR code generated on the government portal while e-invoicing.", "type": ["string", "null"] },
        "shipmentStatus": {
          "description": "Status of the shipment.",
          "enum": ["OPEN", "CLOSED", "INVOICED", "MANIFESTED", "DISPATCHED", "CANCELLED", "DELIVERED", null]
        },
        "awbNumber": { "description": "AWB of the shipment.", "type": ["string", "null"] },
        "shipmentItems": {
          "description": "Items of this shipment.",
          "type": "array",
          "items": { "$ref": "#/$defs/shipmentItem" }
        },
        "shipmentDetails": { "$ref": "#/$defs/shipmentDetails" }
      }
    },
    "shipmentItem": {
      "description": "One line of a shipment.",
      "type": "object",
      "required": [
        "channelSkuCode",
        "orderItemCode",
        "netTaxAmountPerUnit",
        "netTaxAmountTotal",
        "baseSellingPricePerUnit",
        "baseSellingPriceTotal",
        "sellingPricePerUnit",
        "sellingPriceTotal",
        "quantity",
        "taxItems"
      ],
      "properties": {
        "channelSkuCode": { "type": "string", "minLength": 1 },
        "orderItemCode": { "type": "string", "minLength": 1 },
        "locationCode": { "description": "Fulfilment location (in the seed's table, in no example).", "type": ["string", "null"] },
        "netTaxAmountPerUnit": { "type": "number" },
        "netTaxAmountTotal": { "type": "number" },
        "baseSellingPricePerUnit": { "type": "number" },
        "baseSellingPriceTotal": { "type": "number" },
        "sellingPricePerUnit": { "description": "Per unit selling price including tax.", "type": "number" },
        "sellingPriceTotal": { "type": "number" },
        "quantity": { "type": "integer", "minimum": 0 },
        "shippingChargePerUnit": { "type": ["number", "null"] },
        "channelDiscount": { "type": ["number", "null"] },
        "taxItems": {
          "description": "Distribution of tax by tax type (an array in every example, 'Object' in the table).",
          "type": "array",
          "items": {
            "type": "object",
            "required": ["type", "rate", "taxPerUnit", "taxTotal"],
            "properties": {
              "type": { "description": "Tax type, e.g. SGST, CGST, IGST.", "type": "string" },
              "rate": { "type": "number" },
              "taxPerUnit": { "type": "number" },
              "taxTotal": { "type": "number" }
            }
          }
        }
      }
    },
    "shipmentDetails": {
      "description": "Dimensions and pack boxes of the shipment (all optional).",
      "type": ["object", "null"],
      "properties": {
        "length": { "type": ["number", "null"] },
        "breadth": { "type": ["number", "null"] },
        "height": { "type": ["number", "null"] },
        "weight": { "type": ["number", "null"] },
        "shipmentId": { "type": ["integer", "null"] },
        "totalItemQuantity": { "type": ["integer", "null"] },
        "packboxDetailsList": {
          "type": ["array", "null"],
          "items": {
            "type": "object",
            "properties": {
              "length": { "type": ["number", "null"] },
              "breadth": { "type": ["number", "null"] },
              "height": { "type": ["number", "null"] },
              "weight": { "type": ["number", "null"] },
              "boxId": { "type": ["integer", "null"] },
              "awbNumber": { "type": ["string", "null"] },
              "packBoxRemarks": { "type": ["string", "null"] },
              "skuQuantityDataList": {
                "type": ["array", "null"],
                "items": {
                  "type": "object",
                  "properties": {
                    "globalSkuId": { "type": ["integer", "null"] },
                    "clientSkuId": { "type": ["string", "null"] },
                    "count": { "type": ["integer", "null"], "minimum": 0 }
                  }
                }
              }
            }
          }
        }
      }
    },
    "address": {
      "description": "A postal address.",
      "type": "object",
      "required": ["name", "line1", "city", "state", "zip", "country"],
      "properties": {
        "name": { "type": "string" },
        "line1": { "type": "string" },
        "line2": { "type": ["string", "null"] },
        "line3": { "type": ["string", "null"] },
        "city": { "type": "string" },
        "state": { "type": "string" },
        "zip": { "type": "string" },
        "country": { "type": "string" },
        "email": { "type": ["string", "null"] },
        "phone": { "type": ["string", "null"] }
      }
    },
    "response": {
      "description": "The body the client's order-posting endpoint answers with (seed 003). A 2xx answer with hasError: true counts as a failed delivery attempt.",
      "type": "object",
      "properties": {
        "hasError": { "type": "boolean" },
        "errorMessage": { "type": ["string", "null"] }
      }
    }
  }
}
"""#
}
