// The ARM system topic of one subscription and its Service Health alert rule.

metadata name = 'Lifeboat subscription resources'
metadata description = 'Event Grid system topic (Microsoft.Resources.Subscriptions) and a Service Health alert.'

@description('Required. The subscription whose ARM events the topic publishes.')
param subscriptionId string

@description('Required. Name of the Event Grid system topic.')
param systemTopicName string

@description('Required. Name of the Service Health activity-log alert rule.')
param alertRuleName string

@description('Required. Resource id of the action group the alert rule notifies.')
param actionGroupId string

@description('Required. Service Health incident types that fire the alert.')
@minLength(1)
param incidentTypes array

@description('Optional. Service Health region display names that fire the alert; empty means all.')
param regionNames array = []

@description('Optional. Tags for both resources.')
param tags object = {}

// A subscription has at most one system topic per source; this one is created, never adopted.
resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: '/subscriptions/${subscriptionId}'
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

var incidentTypeConditions = [for incidentType in incidentTypes: {
  field: 'properties.incidentType'
  equals: incidentType
}]

var baseConditions = [
  {
    field: 'category'
    equals: 'ServiceHealth'
  }
  {
    anyOf: incidentTypeConditions
  }
]

var regionConditions = empty(regionNames) ? [] : [
  {
    field: 'properties.impactedServices[*].ImpactedRegions[*].RegionName'
    containsAny: regionNames
  }
]

resource serviceHealthAlert 'Microsoft.Insights/activityLogAlerts@2020-10-01' = {
  name: alertRuleName
  location: 'Global'
  tags: tags
  properties: {
    enabled: true
    description: 'Lifeboat: Service Health events for this subscription go to the service_health function.'
    scopes: [
      '/subscriptions/${subscriptionId}'
    ]
    condition: {
      allOf: concat(baseConditions, regionConditions)
    }
    actions: {
      actionGroups: [
        {
          actionGroupId: actionGroupId
        }
      ]
    }
  }
}

@description('The system topic name.')
output systemTopicName string = systemTopic.name

@description('The principal id of the system topic identity.')
output systemTopicPrincipalId string = systemTopic.identity.principalId
